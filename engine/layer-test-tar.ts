/**
 * Test support (not a test file): writes tar archives entry by entry, including the
 * hostile ones no honest tool makes (absolute names, `..`, links out of the root,
 * device nodes, setuid bits, huge declared sizes stored sparsely).
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';

export interface TestEntry {
  name: string;
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  data?: string | Buffer;
  linkName?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devMajor?: number;
  devMinor?: number;
  /** Declared size without writing the data (the file is extended sparsely). */
  declaredSize?: number;
}

function octal(buf: Buffer, value: number, offset: number, len: number): void {
  buf.write(value.toString(8).padStart(len - 1, '0') + '\0', offset, len, 'ascii');
}

function header(e: TestEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.from(e.name, 'utf8');
  if (name.length > 100) throw new Error(`test tar names must fit 100 bytes: ${e.name}`);
  name.copy(h, 0);
  octal(h, e.mode ?? (e.type === '5' ? 0o755 : 0o644), 100, 8);
  octal(h, e.uid ?? 0, 108, 8);
  octal(h, e.gid ?? 0, 116, 8);
  octal(h, size, 124, 12);
  octal(h, 1_700_000_000, 136, 12);
  h.write(e.type ?? '0', 156, 1, 'ascii');
  h.write(e.linkName ?? '', 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 8, 'ascii');
  octal(h, e.devMajor ?? 0, 329, 8);
  octal(h, e.devMinor ?? 0, 337, 8);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** Writes `entries` as a tar file at `path`. */
export function writeTestTar(path: string, entries: readonly TestEntry[]): void {
  const fd = openSync(path, 'w');
  let pos = 0;
  try {
    for (const e of entries) {
      const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
      const size = e.declaredSize ?? data.length;
      pos += writeSync(fd, header(e, size), 0, 512, pos);
      if (e.declaredSize !== undefined) {
        pos += Math.ceil(size / 512) * 512;
        ftruncateSync(fd, pos);
      } else if (size > 0) {
        writeSync(fd, data, 0, data.length, pos);
        pos += Math.ceil(size / 512) * 512;
      }
    }
    writeSync(fd, Buffer.alloc(1024), 0, 1024, pos);
  } finally {
    closeSync(fd);
  }
}
