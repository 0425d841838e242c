/**
 * Layer tarballs: made with the system's GNU tar (deterministic archives: sorted names,
 * numeric owners, so the same directory gives the same diff id), unpacked by paas's own
 * extractor that treats every archive as hostile (layer-extract.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { exec } from './exec';
import type { ExtractOptions, ExtractStats } from './layer-extract';
import { extractTarSafely } from './layer-extract-worker';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Tars the contents of `dir` (not the directory itself) into `outFile`; returns sha256 hex and size. */
export async function tarDirectory(dir: string, outFile: string): Promise<{ hex: string; size: number }> {
  await exec('tar', [
    '--create',
    '--file',
    outFile,
    '--directory',
    dir,
    '--numeric-owner',
    '--sort=name',
    '--xattrs',
    '--xattrs-include=security.capability',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '.',
  ]);
  return { hex: await sha256File(outFile), size: (await stat(outFile)).size };
}

/**
 * Unpacks a layer tarball into `dest` (created; must not exist yet), through a
 * temporary sibling directory renamed into place, so a crash never leaves a
 * half-unpacked layer that looks complete.
 */
export async function extractLayer(tarFile: string, dest: string, options: ExtractOptions = {}): Promise<ExtractStats> {
  const tmp = `${dest}.unpacking-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o755 });
  try {
    const stats = await extractTarSafely(tarFile, tmp, options);
    await rename(tmp, dest);
    return stats;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
