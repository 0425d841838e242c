/**
 * COPY and ADD as a layer: the copied files are laid out in a staging directory, under
 * the destination's parent directories with the owners and modes they have in the
 * image (so copying into /app never turns the image's /app into a root-owned 0755 dir),
 * then tarred like any layer.
 *
 * Each source is first materialised in a fresh directory of its own (copied, or
 * unpacked for ADD archives), given its owner and mode there, then merged into the
 * staging tree with hard links. The merge refuses to go through a symlink an earlier
 * source put in the staging tree, so no source can write outside it.
 */
import { chmod, chown, lstat, mkdir, readdir, rm, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ContextSource } from './dockerfile-context';
import { DockerfileError } from './errors';
import { exec } from './exec';
import { asTarArchive, extractUserArchive } from './dockerfile-archive';
import { resolveInRoot } from './dockerfile-image-view';

export interface CopyRequest {
  sources: readonly ContextSource[];
  /** Absolute destination in the image (WORKDIR already applied). */
  dest: string;
  /** The destination is a directory: it ends with `/`, or there are several sources. */
  destIsDir: boolean;
  owner: { uid: number; gid: number };
  /** --chown was given: it applies to unpacked archives too (else they keep their owners). */
  explicitOwner: boolean;
  /** --chmod for every copied file and directory. */
  mode?: number;
  /** ADD: unpack local tar archives. */
  extractArchives: boolean;
}

/** Creates `path` (in-image) in `staging` with each ancestor's metadata from the image view. */
async function ensureDir(root: string, staging: string, path: string, owner: { uid: number; gid: number }): Promise<void> {
  let current = '';
  for (const part of path.split('/').filter(Boolean)) {
    current += `/${part}`;
    const target = staging + current;
    if (await lstat(target).catch(() => undefined)) continue;
    await mkdir(target);
    const inImage = await lstat(root + current).catch(() => undefined);
    if (inImage?.isDirectory()) {
      await chmod(target, inImage.mode & 0o7777);
      await chown(target, inImage.uid, inImage.gid);
      await utimes(target, inImage.atime, inImage.mtime);
    } else {
      await chmod(target, 0o755);
      await chown(target, owner.uid, owner.gid);
    }
  }
}

/** Fails if merging `piece` into `target` would pass through a symlink already in `target`. */
async function checkMerge(piece: string, target: string, rel = ''): Promise<void> {
  for (const entry of await readdir(join(piece, rel), { withFileTypes: true })) {
    const sub = rel ? `${rel}/${entry.name}` : entry.name;
    const there = await lstat(join(target, sub)).catch(() => undefined);
    if (there?.isSymbolicLink() && entry.isDirectory()) {
      throw new DockerfileError(`cannot copy into ${sub}: it is a symbolic link written by an earlier source`);
    }
    if (entry.isDirectory() && there?.isDirectory()) await checkMerge(piece, target, sub);
  }
}

/** Materialises one source in `piece` (which must not exist): copied, or unpacked. */
async function materialise(src: ContextSource, piece: string, asFile: string | undefined, extract: boolean): Promise<'copied' | 'unpacked'> {
  await mkdir(piece, { recursive: true });
  if (src.isDir) {
    await exec('cp', ['-a', `${src.abs}/.`, `${piece}/`]);
    return 'copied';
  }
  const tar = extract ? await asTarArchive(src.abs, `${piece}.tar`) : undefined;
  if (tar) {
    try {
      await rm(piece, { recursive: true });
      await extractUserArchive(tar, piece, src.rel);
      return 'unpacked';
    } finally {
      if (tar !== src.abs) await rm(tar, { force: true });
    }
  }
  await exec('cp', ['-a', src.abs, join(piece, asFile ?? src.name)]);
  return 'copied';
}

/** Lays out the files of one COPY/ADD under `staging`; `root` is the image view. */
export async function stageCopy(root: string, staging: string, req: CopyRequest, scratch: string): Promise<void> {
  const destDir = req.destIsDir || req.sources.some((s) => s.isDir) || (await lstat(root + (await resolveInRoot(root, req.dest))).catch(() => undefined))?.isDirectory();
  // Into a directory: resolve the whole path in the image; onto a file: all but the name.
  const dest = await resolveInRoot(root, req.dest, Boolean(destDir));
  const targetDir = destDir ? dest : posix.dirname(dest);
  await ensureDir(root, staging, targetDir, req.owner);
  let n = 0;
  for (const src of req.sources) {
    const piece = `${scratch}-${n++}`;
    try {
      const how = await materialise(src, piece, destDir ? undefined : posix.basename(dest), req.extractArchives);
      if (how === 'copied' || req.explicitOwner) await exec('chown', ['-R', '-h', `${req.owner.uid}:${req.owner.gid}`, piece]);
      if (req.mode !== undefined) await exec('chmod', ['-R', req.mode.toString(8), piece]);
      await checkMerge(piece, staging + targetDir);
      // Entry by entry: `cp -a piece/. dir/` would also give dir the piece's own owner and mode.
      const entries = (await readdir(piece)).map((e) => join(piece, e));
      if (entries.length > 0) await exec('cp', ['-a', '-l', '--remove-destination', ...entries, `${staging + targetDir}/`]);
    } finally {
      await rm(piece, { recursive: true, force: true });
    }
  }
}
