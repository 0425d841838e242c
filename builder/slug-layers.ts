/**
 * The slug committed as two layers: the language runtime the buildpacks installed in
 * `/app/.heroku` (node alone is ~95 MB) and the rest of `/app`. A rebuild that installs the
 * same runtime reuses the image of its previous runtime layer instead of tarring, hashing
 * and unpacking it again: that layer's identity is a digest of its content (paths, types,
 * modes, owners, bytes; never mtimes) and of the stack image under it, computed here on the
 * host after the build's containers are gone. The reusable image is tagged
 * `paas/<app>:runtime-<digest>`, per app, so an app never builds on another app's layer;
 * only the newest one is kept tagged (releases keep theirs through their own images).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EngineApi, ImageConfig, ImageInfo } from '../engine';

/** Where buildpacks put runtimes, relative to the app (Heroku's convention: .heroku/node, .heroku/python). */
const RUNTIME_DIR = '.heroku';
const RUNTIME_TAG = 'runtime-';

export interface SlugCommit {
  image: ImageInfo;
  /** Whether the runtime layer was taken from an earlier build (undefined: the app has no runtime dir). */
  runtimeReused?: boolean;
}

export interface SlugCommitOptions {
  app: string;
  stackRef: string;
  /** Holds `app/` (the built BUILD_DIR); its `app/.heroku` is moved out of it. */
  layerDir: string;
  /** A scratch dir on the same filesystem (the build's workspace root). */
  scratchDir: string;
  config: ImageConfig;
  ref: string;
}

export async function commitSlug(engine: EngineApi, o: SlugCommitOptions): Promise<SlugCommit> {
  const appDir = path.join(o.layerDir, 'app');
  const runtime = path.join(appDir, RUNTIME_DIR);
  // A symlink or file named .heroku is the app's business: it stays in the one app layer.
  if (!fs.lstatSync(runtime, { throwIfNoEntry: false })?.isDirectory()) {
    return { image: await engine.commit(o.stackRef, o.layerDir, o.config, o.ref) };
  }
  const split = path.join(o.scratchDir, 'runtime-layer');
  const splitApp = path.join(split, 'app');
  fs.mkdirSync(splitApp, { recursive: true });
  // The same /app directory entry in both layers, so which one wins does not matter.
  const appStat = fs.statSync(appDir);
  fs.chmodSync(splitApp, appStat.mode & 0o7777);
  fs.chownSync(splitApp, appStat.uid, appStat.gid);
  fs.renameSync(runtime, path.join(splitApp, RUNTIME_DIR));

  const stack = await engine.image(o.stackRef);
  const digest = crypto.createHash('sha256').update(`${stack?.digest ?? o.stackRef}\n`).update(await treeDigest(split)).digest('hex');
  const runtimeRef = `paas/${o.app}:${RUNTIME_TAG}${digest.slice(0, 32)}`;
  const reused = (await engine.image(runtimeRef)) !== undefined;
  if (!reused) {
    await engine.commit(o.stackRef, split, {}, runtimeRef);
    await untagOtherRuntimes(engine, o.app, runtimeRef);
  }
  const image = await engine.commit(runtimeRef, o.layerDir, o.config, o.ref);
  return { image, runtimeReused: reused };
}

/** Keeps one reusable runtime image per app; the images of releases still hold their layers. */
async function untagOtherRuntimes(engine: EngineApi, app: string, keep: string): Promise<void> {
  const prefix = `paas/${app}:${RUNTIME_TAG}`;
  for (const image of await engine.images()) {
    if (image.ref.startsWith(prefix) && image.ref !== keep) await engine.removeImage(image.ref).catch(() => undefined);
  }
}

/**
 * sha256 over a directory tree as a layer would hold it: each entry's path, type, mode,
 * owner and content (a symlink's target), in name order, never following symlinks.
 */
export async function treeDigest(root: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
    hash.update(`${kind} ${JSON.stringify(rel)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.size}\n`);
    if (kind === 'l') hash.update(`-> ${fs.readlinkSync(abs)}\n`);
    else if (kind === 'o') hash.update(`rdev ${st.rdev}\n`);
    else if (kind === 'f') {
      for await (const chunk of fs.createReadStream(abs)) hash.update(chunk as Buffer);
    } else {
      for (const name of fs.readdirSync(abs).sort()) await walk(rel === '' ? name : `${rel}/${name}`);
    }
  };
  await walk('');
  return hash.digest('hex');
}
