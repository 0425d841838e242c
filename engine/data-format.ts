/**
 * The engine data dir's format version (a file `format` in it). A paas writes the
 * version it knows when it opens the dir; a paas that finds a newer version refuses to
 * start, so an older binary (a rollback, a stale copy) never reads or rewrites state
 * whose layout it does not know. Raise DATA_FORMAT when the layout changes in a way
 * older binaries cannot read.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DATA_FORMAT = 1;

export class DataFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFormatError';
  }
}

const formatFile = (dir: string): string => join(dir, 'format');

/** The dir's version: 0 when it has none (new, or written before versions existed). */
export async function readDataFormat(dir: string): Promise<number> {
  const text = await readFile(formatFile(dir), 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '0';
    throw err;
  });
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0) throw new DataFormatError(`${formatFile(dir)} holds "${text.trim()}", not a format version; restore it from a backup or remove it`);
  return n;
}

/** Throws DataFormatError when the dir was written by a newer paas than this one. */
export async function checkDataFormat(dir: string): Promise<number> {
  const found = await readDataFormat(dir);
  if (found > DATA_FORMAT) {
    throw new DataFormatError(`the data dir ${dir} has format ${found}, newer than this paas reads (${DATA_FORMAT}): run the paas release that wrote it (or a newer one)`);
  }
  return found;
}

/** Checks, then records this paas's format in the dir. */
export async function openDataFormat(dir: string): Promise<void> {
  const found = await checkDataFormat(dir);
  if (found === DATA_FORMAT) return;
  await mkdir(dir, { recursive: true });
  await writeFile(formatFile(dir), `${DATA_FORMAT}\n`);
}
