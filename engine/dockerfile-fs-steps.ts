/**
 * The instructions that write files without running anything from the image: COPY,
 * ADD and WORKDIR (which creates its directory), plus USER (which reads /etc/passwd).
 * Each reads the image through a read-only view and writes its layer from a staging
 * directory; sources have been resolved and hashed before (dockerfile-build.ts).
 */
import { chmod, chown, lstat, mkdir, rm } from 'node:fs/promises';
import type { ImageStore } from './image-store';
import type { ContextSource } from './dockerfile-context';
import type { Stage } from './dockerfile-steps';
import { tarDirectory } from './layer-archive';
import { parseUser } from './image-config';
import { resolveInRoot, resolveUser, withImageView } from './dockerfile-image-view';
import { stageCopy } from './dockerfile-copy';

/** Builds a layer from what `fill` puts into a fresh staging directory; returns its diff id. */
export async function stagedLayer(images: ImageStore, fill: (staging: string, scratch: string) => Promise<void>): Promise<string> {
  const staging = images.tmpPath('staging');
  const tar = images.tmpPath('staged.tar');
  try {
    await mkdir(staging);
    // The layer's root entry: never let a temp dir's 0700 become anyone's `/`.
    await chmod(staging, 0o755);
    await chown(staging, 0, 0);
    await fill(staging, images.tmpPath('piece'));
    const { hex } = await tarDirectory(staging, tar);
    return await images.importLayer(tar, 'move', { diffId: `sha256:${hex}` });
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(tar, { force: true });
  }
}

/** The user RUN runs as: USER resolved to numbers (names looked up in the image), else root. */
export async function runUser(images: ImageStore, stage: Stage): Promise<{ uid: number; gid: number }> {
  const user = stage.state.config.User;
  if (!user) return { uid: 0, gid: 0 };
  return parseUser(user) ?? withImageView(images, stage.state.layers, (root) => resolveUser(root, user));
}

/** USER as numeric uid:gid (the engine runs numeric users only, so names are resolved now). */
export async function numericUser(images: ImageStore, stage: Stage, spec: string): Promise<string> {
  const u = await withImageView(images, stage.state.layers, (root) => resolveUser(root, spec));
  return `${u.uid}:${u.gid}`;
}

/** WORKDIR's directory as a new layer, or undefined when the image has it already. */
export async function workdirLayer(images: ImageStore, stage: Stage, path: string): Promise<string | undefined> {
  const owner = await runUser(images, stage);
  return withImageView(images, stage.state.layers, async (root) => {
    const resolved = await resolveInRoot(root, path);
    if ((await lstat(root + resolved).catch(() => undefined))?.isDirectory()) return undefined;
    return stagedLayer(images, (staging) =>
      stageCopy(root, staging, { sources: [], dest: resolved, destIsDir: true, owner, explicitOwner: true, extractArchives: false }, ''),
    );
  });
}

export interface CopyStep {
  sources: ContextSource[];
  dest: string;
  destIsDir: boolean;
  /** --chown as written, resolved in the image. */
  chown?: string;
  mode?: number;
  extractArchives: boolean;
}

export async function copyLayer(images: ImageStore, stage: Stage, step: CopyStep): Promise<string> {
  return withImageView(images, stage.state.layers, async (root) => {
    const owner = step.chown ? await resolveUser(root, step.chown) : { uid: 0, gid: 0 };
    return stagedLayer(images, (staging, scratch) =>
      stageCopy(root, staging, { ...step, owner, explicitOwner: step.chown !== undefined }, scratch),
    );
  });
}
