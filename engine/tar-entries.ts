/**
 * Reads the entries of an uncompressed tar file (ustar, GNU long names, pax headers)
 * without extracting anything: names, types, modes, owners, times, device numbers,
 * pax xattrs and where each entry's data starts. layer-extract.ts writes them out
 * safely; `checkTarEntries` is the quick path check for callers that only list.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { UnsafeArchiveError } from './errors';

export interface TarEntry {
  name: string;
  /** The tar typeflag: '0' file, '1' hard link, '2' symlink, '3'/'4' char/block device, '5' directory, '6' fifo, … */
  type: string;
  linkName: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  devMajor: number;
  devMinor: number;
  /** pax SCHILY.xattr.<name> records (raw values). */
  xattrs: Record<string, Buffer>;
  /** Set when the pax headers describe a GNU sparse file (not supported). */
  sparse: boolean;
  /** Byte offset of the entry's data in the file. */
  dataOffset: number;
}

function cString(buf: Buffer, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const end = slice.indexOf(0);
  return slice.subarray(0, end === -1 ? len : end).toString('utf8');
}

/** An octal number field, or GNU base-256 (high bit set) for values that do not fit. */
function numeric(buf: Buffer, start: number, len: number): number {
  const field = buf.subarray(start, start + len);
  if ((field[0]! & 0x80) !== 0) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = cString(buf, start, len).trim();
  return text ? parseInt(text, 8) : 0;
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === numeric(header, 148, 8);
}

/** pax records "<len> <key>=<value>\n"; values are raw bytes (xattrs may be binary). */
function paxRecords(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.subarray(pos, space).toString('ascii'));
    if (!len || pos + len > data.length) throw new UnsafeArchiveError('malformed pax header in archive');
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq > 0) out.set(record.subarray(0, eq).toString('utf8'), record.subarray(eq + 1));
    pos += len;
  }
  return out;
}

const METADATA_LIMIT = 1 << 20;

/**
 * Yields every entry of the tar file open as `fd`, in archive order. Synchronous on
 * purpose: extraction runs in a worker thread, and one thread-pool hop per read made
 * it ten times slower on a busy host.
 */
export function* tarEntries(fd: number): Generator<TarEntry> {
  const header = Buffer.alloc(512);
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, Buffer>();
  for (;;) {
    const bytesRead = readSync(fd, header, 0, 512, offset);
    if (bytesRead < 512 || header.every((b) => b === 0)) return;
    if (!checksumOk(header)) throw new UnsafeArchiveError(`not a tar archive (bad header checksum at byte ${offset})`);
    const type = String.fromCharCode(header[156] || 0x30);
    let size = numeric(header, 124, 12);
    const dataOffset = offset + 512;
    if (type === 'L' || type === 'K' || type === 'x') {
      if (size > METADATA_LIMIT) throw new UnsafeArchiveError(`tar metadata entry too large (${size} bytes)`);
      const data = Buffer.alloc(size);
      if (readSync(fd, data, 0, size, dataOffset) < size) throw new UnsafeArchiveError('tar archive truncated');
      if (type === 'L') longName = cString(data, 0, size);
      else if (type === 'K') longLink = cString(data, 0, size);
      else pax = paxRecords(data);
      offset = dataOffset + Math.ceil(size / 512) * 512;
      continue;
    }
    const paxText = (key: string): string | undefined => pax.get(key)?.toString('utf8');
    if (paxText('size') !== undefined) size = Number(paxText('size'));
    offset = dataOffset + Math.ceil(size / 512) * 512;
    if (type === 'g') continue;
    const prefix = header.subarray(257, 262).toString('ascii') === 'ustar' ? cString(header, 345, 155) : '';
    const shortName = cString(header, 0, 100);
    const xattrs: Record<string, Buffer> = {};
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = v;
    yield {
      name: paxText('path') ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName),
      type,
      linkName: paxText('linkpath') ?? longLink ?? cString(header, 157, 100),
      size,
      mode: numeric(header, 100, 8),
      uid: Number(paxText('uid') ?? numeric(header, 108, 8)),
      gid: Number(paxText('gid') ?? numeric(header, 116, 8)),
      mtime: Number(paxText('mtime') ?? numeric(header, 136, 12)),
      devMajor: numeric(header, 329, 8),
      devMinor: numeric(header, 337, 8),
      xattrs,
      sparse: [...pax.keys()].some((k) => k.startsWith('GNU.sparse')),
      dataOffset,
    };
    longName = longLink = undefined;
    pax = new Map();
  }
}

export async function readTarEntries(path: string): Promise<TarEntry[]> {
  const fd = openSync(path, 'r');
  try {
    return await Promise.resolve([...tarEntries(fd)]);
  } finally {
    closeSync(fd);
  }
}

function escapes(path: string): boolean {
  return path.startsWith('/') || path.split('/').includes('..');
}

/** Throws UnsafeArchiveError for entries that would land outside the extraction root. */
export function checkTarEntries(entries: readonly Pick<TarEntry, 'name' | 'type' | 'linkName' | 'size'>[]): void {
  for (const e of entries) {
    if (escapes(e.name)) throw new UnsafeArchiveError(`unsafe path in layer archive: ${e.name}`);
    // A hard link names another entry of the archive: it must stay inside too.
    if (e.type === '1' && escapes(e.linkName)) {
      throw new UnsafeArchiveError(`unsafe hard link in layer archive: ${e.name} -> ${e.linkName}`);
    }
  }
}
