/**
 * A container's log files and their rotation. conmon bounds the current file
 * (--log-size-max: half the configured bound): when the next write would pass it, conmon
 * renames a fresh file over output.log. To keep what was in the old one, paas holds a
 * second name for the current inode (output.log.cur, a hard link); after conmon's switch,
 * that name still reaches the old file, and relinkRotated() moves it to output.log.1 and
 * links the new current file. So a container keeps between half and all of its bound of
 * recent output: output.log.1 then output.log. (conmon 2.1 cannot be asked to reopen its
 * log from outside, so a rename-and-signal rotation is not possible.)
 */
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { ContainerPaths } from './container-paths';

async function ino(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

async function relinkAnchor(paths: ContainerPaths, id: string): Promise<void> {
  await unlink(paths.logAnchor(id)).catch(() => undefined);
  await link(paths.log(id), paths.logAnchor(id)).catch(() => undefined);
}

/**
 * Before each start: the previous run's output becomes output.log.1 (so a restarted
 * container's logs show its last run too) and an empty current file is anchored.
 */
export async function prepareLog(paths: ContainerPaths, id: string): Promise<void> {
  const size = await stat(paths.log(id)).then((s) => s.size, () => 0);
  if (size > 0) await rename(paths.log(id), paths.logPrevious(id));
  await writeFile(paths.log(id), '', { flag: size > 0 ? 'w' : 'a' });
  await relinkAnchor(paths, id);
}

/** After conmon switched files: keep the old one as output.log.1. Cheap (two stats) when nothing changed. */
export async function relinkRotated(paths: ContainerPaths, id: string): Promise<boolean> {
  const [current, anchored] = await Promise.all([ino(paths.log(id)), ino(paths.logAnchor(id))]);
  if (current === undefined || current === anchored) return false;
  if (anchored !== undefined) await rename(paths.logAnchor(id), paths.logPrevious(id));
  await relinkAnchor(paths, id);
  return true;
}

/** The files holding the kept output, oldest first, each inode once. */
export async function logFiles(paths: ContainerPaths, id: string): Promise<string[]> {
  const seen = new Set<number>();
  const out: string[] = [];
  for (const p of [paths.logPrevious(id), paths.logAnchor(id), paths.log(id)]) {
    const i = await ino(p);
    if (i === undefined || seen.has(i)) continue;
    seen.add(i);
    out.push(p);
  }
  return out;
}

/** Everything kept, as one buffer of records (at most the configured bound, ~10 MiB). */
export async function readAllLogs(paths: ContainerPaths, id: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const p of await logFiles(paths, id)) {
    const b = await readFile(p).catch(() => Buffer.alloc(0));
    if (b.length === 0) continue;
    parts.push(b);
    // A file cut mid-record by a crash: end it so the next file's first record parses.
    if (b[b.length - 1] !== 0x0a) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}
