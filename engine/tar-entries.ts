/**
 * Reads the entry headers of an uncompressed tar (ustar, GNU long names, pax paths)
 * without extracting anything, and refuses archives that would write outside the
 * directory they are unpacked into. Layers are made by paas itself today; full handling
 * of hostile archives (device nodes, symlink chains, hard links across layers, sizes)
 * is tracked as issue #3.
 */
import { open } from 'node:fs/promises';
import { UnsafeArchiveError } from './errors';

export interface TarEntry {
  name: string;
  /** The tar typeflag: '0' file, '1' hard link, '2' symlink, '5' directory, … */
  type: string;
  linkName: string;
  size: number;
}

function cString(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? len : end).toString('utf8');
}

function parseSize(buf: Buffer): number {
  const field = buf.subarray(124, 136);
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256 encoding for sizes over 8 GiB.
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(buf, 124, 12).trim();
  return text ? parseInt(text, 8) : 0;
}

function paxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.subarray(pos, space).toString('ascii'));
    if (!len) break;
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

export async function readTarEntries(path: string): Promise<TarEntry[]> {
  const fh = await open(path, 'r');
  const entries: TarEntry[] = [];
  try {
    const header = Buffer.alloc(512);
    let offset = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, offset);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      const type = String.fromCharCode(header[156] || 0x30);
      const size = parseSize(header);
      const dataStart = offset + 512;
      offset = dataStart + Math.ceil(size / 512) * 512;
      if (type === 'L' || type === 'K' || type === 'x') {
        if (size > 1 << 20) throw new UnsafeArchiveError(`tar metadata entry too large (${size} bytes)`);
        const data = Buffer.alloc(size);
        await fh.read(data, 0, size, dataStart);
        if (type === 'L') longName = cString(data, 0, size);
        else if (type === 'K') longLink = cString(data, 0, size);
        else pax = paxRecords(data);
        continue;
      }
      if (type === 'g') continue;
      const prefix = header.subarray(257, 262).toString('ascii') === 'ustar' ? cString(header, 345, 155) : '';
      const shortName = cString(header, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
      const linkName = pax.linkpath ?? longLink ?? cString(header, 157, 100);
      entries.push({ name, type, linkName, size });
      longName = longLink = undefined;
      pax = {};
    }
  } finally {
    await fh.close();
  }
  return entries;
}

function escapes(path: string): boolean {
  return path.startsWith('/') || path.split('/').includes('..');
}

/** Throws UnsafeArchiveError for entries that would land outside the extraction root. */
export function checkTarEntries(entries: readonly TarEntry[]): void {
  for (const e of entries) {
    if (escapes(e.name)) throw new UnsafeArchiveError(`unsafe path in layer archive: ${e.name}`);
    // A hard link names another entry of the archive: it must stay inside too.
    if (e.type === '1' && escapes(e.linkName)) {
      throw new UnsafeArchiveError(`unsafe hard link in layer archive: ${e.name} -> ${e.linkName}`);
    }
  }
}
