/**
 * ADD's one piece of magic for local files: a tar archive (plain, gzip, bzip2, xz or
 * zstd, recognised by content like Docker does, not by name) is unpacked instead of
 * copied. The archive comes from the user, so it is checked before anything is
 * written (layer-extract.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { PaasError } from '../shared';
import { DockerfileError } from './errors';
import { extractLayer } from './layer-archive';

type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

async function head(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function compressionOf(start: Buffer): Compression | undefined {
  return MAGIC.find(([, magic]) => magic.every((b, i) => start[i] === b))?.[0];
}

export function isTarHeader(start: Buffer): boolean {
  return start.length >= 262 && start.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Decompresses `path` to `out` with the system tool (streams; no size held in memory). */
function decompress(kind: Compression, path: string, out: string): Promise<void> {
  const fd = openSync(out, 'w', 0o600);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(kind, ['-dc', path], { stdio: ['ignore', fd, 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new DockerfileError(`cannot decompress ${kind} archive: ${stderr.trim()}`))));
  }).finally(() => closeSync(fd));
}

/**
 * If `path` is a (possibly compressed) tar archive, returns the path of the plain tar
 * (`scratch` when it had to be decompressed), else undefined: ADD copies it as a file.
 */
export async function asTarArchive(path: string, scratch: string): Promise<string | undefined> {
  const start = await head(path, 512);
  const kind = compressionOf(start);
  if (!kind) return isTarHeader(start) ? path : undefined;
  await decompress(kind, path, scratch);
  if (isTarHeader(await head(scratch, 512))) return scratch;
  await rm(scratch, { force: true });
  return undefined; // e.g. a gzipped text file: copied as it is, like Docker
}

/**
 * Unpacks a plain tar into `dest` (must not exist) with the engine's hostile-archive
 * extractor (T21: nothing written through symlinks, no devices or setuid bits, limits).
 */
export async function extractUserArchive(tar: string, dest: string, shown: string): Promise<void> {
  try {
    await extractLayer(tar, dest);
  } catch (err) {
    if (err instanceof PaasError) throw new DockerfileError(`${shown}: ${err.message}`);
    throw err;
  }
}
