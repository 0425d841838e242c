/**
 * Unpacks a layer tarball into a fresh directory, treating the archive as hostile
 * (RELIABILITY.md T21). Nothing is ever written through a symlink: every parent of an
 * entry must be a real directory made by this archive (checked with lstat, and we are
 * the only writer of the fresh directory), files are created with O_EXCL (which does
 * not follow a symlink in their place), owners and modes are set on the open file.
 * Paths with `..` or a leading `/` and hard links to outside are refused; symlink
 * targets are stored as they are, since they are only ever resolved inside the
 * container's root. App layers lose device nodes, setuid/setgid bits and xattrs; only
 * the trusted base stack layer keeps them. Limits on entries and expanded bytes stop
 * archive bombs. OCI whiteouts become overlayfs whiteouts so a layer hides lower files.
 *
 * Why not as an unprivileged user: layers must keep their owners (root's /etc,
 * paas's /app) because containers run without user namespaces, and only root can
 * create files owned by others. The checks above do not depend on privileges.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  openSync, readSync, rmSync, symlinkSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { ArchiveLimitError, UnsafeArchiveError } from './errors';
import { tarEntries, type TarEntry } from './tar-entries';

export interface ExtractOptions {
  /** The base stack layer made by paas (debootstrap): keeps device nodes, setuid/setgid bits, file capabilities. */
  trusted?: boolean;
  /** Most entries (files, directories, links) one layer may have. Default 10,000. */
  maxFiles?: number;
  /** Most bytes of file contents one layer may expand to. Default 1 GiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_FILES = 10_000;
export const DEFAULT_MAX_BYTES = 1024 ** 3;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const COPY_CHUNK = 1 << 20;

export interface ExtractStats {
  entries: number;
  bytes: number;
  /** Device nodes, setuid/setgid bits and xattrs removed from an untrusted layer. */
  stripped: string[];
}

/** `a/./b/` → ['a','b']; refuses absolute paths and `..` (a backslash is an ordinary character on Linux). */
export function safeComponents(name: string): string[] {
  if (name.startsWith('/')) throw new UnsafeArchiveError(`absolute path in layer archive: ${name}`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeArchiveError(`path with .. in layer archive: ${name}`);
  return parts;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Directories known to be real directories of the tree being extracted (we are its
 * only writer), so each parent is checked once rather than for every entry.
 */
class KnownDirs {
  private readonly dirs = new Set<string>();
  has(path: string): boolean {
    return this.dirs.has(path);
  }
  add(path: string): void {
    this.dirs.add(path);
  }
  /** `path` is being replaced: it and everything below it are no longer known. */
  forget(path: string): void {
    if (!this.dirs.delete(path)) return;
    const prefix = `${path}/`;
    for (const d of this.dirs) if (d.startsWith(prefix)) this.dirs.delete(d);
  }
}

/** Makes sure every parent of `parts` under root is a real directory (never a symlink); returns the parent's path. */
function safeParent(known: KnownDirs, root: string, parts: string[], name: string, create = true): string {
  let dir = root;
  for (const p of parts.slice(0, -1)) {
    dir = join(dir, p);
    if (known.has(dir)) continue;
    const st = lstatOrUndefined(dir);
    if (!st && create) mkdirSync(dir, { mode: 0o755 });
    else if (!st) throw new UnsafeArchiveError(`hard link ${name} to a missing entry`);
    else if (!st.isDirectory()) {
      throw new UnsafeArchiveError(`layer archive entry ${name} goes through ${st.isSymbolicLink() ? 'a symlink' : 'a non-directory'}: ${p}`);
    }
    known.add(dir);
  }
  return dir;
}

/** Removes what is at `path` so a new entry can take its place (a directory only for a non-directory entry). */
function clear(known: KnownDirs, path: string, forDirectory: boolean): boolean {
  if (forDirectory && known.has(path)) return true;
  const st = lstatOrUndefined(path);
  if (!st) return false;
  if (st.isDirectory()) {
    if (forDirectory) return true;
    known.forget(path);
    rmSync(path, { recursive: true, force: true });
  } else {
    unlinkSync(path);
  }
  return false;
}

function copyData(src: number, entry: TarEntry, out: number): void {
  const buf = Buffer.alloc(Math.min(COPY_CHUNK, Math.max(entry.size, 1)));
  let done = 0;
  while (done < entry.size) {
    const want = Math.min(buf.length, entry.size - done);
    const bytesRead = readSync(src, buf, 0, want, entry.dataOffset + done);
    if (bytesRead === 0) throw new UnsafeArchiveError(`layer archive truncated in ${entry.name}`);
    writeSync(out, buf, 0, bytesRead);
    done += bytesRead;
  }
}

/** Reads only the headers first, so an archive over the limits is refused before anything is written. */
function checkLimits(src: number, maxFiles: number, maxBytes: number): void {
  let entries = 0;
  let bytes = 0;
  for (const e of tarEntries(src)) {
    if (++entries > maxFiles) throw new ArchiveLimitError(`layer archive has more than ${maxFiles} entries`);
    if (e.type === '0' || e.type === '7') bytes += e.size;
    if (bytes > maxBytes) throw new ArchiveLimitError(`layer archive expands to more than ${maxBytes} bytes`);
  }
}

const run = (cmd: string, args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/**
 * Extracts `tarFile` into the existing, empty directory `dest`. Synchronous (one
 * syscall after another, no thread-pool hops): call it from a worker thread
 * (layer-extract-worker.ts) so the daemon's event loop stays free.
 */
export function extractTarSafelySync(tarFile: string, dest: string, options: ExtractOptions = {}): ExtractStats {
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const trusted = options.trusted ?? false;
  const stats: ExtractStats = { entries: 0, bytes: 0, stripped: [] };
  const dirTimes: [string, number][] = [];
  const known = new KnownDirs();
  const src = openSync(tarFile, 'r');
  try {
    checkLimits(src, maxFiles, maxBytes);
    for (const e of tarEntries(src)) {
      if (++stats.entries > maxFiles) throw new ArchiveLimitError(`layer archive has more than ${maxFiles} entries`);
      if (e.sparse || e.type === 'S') throw new UnsafeArchiveError(`sparse files are not supported in layers: ${e.name}`);
      const parts = safeComponents(e.name);
      if (parts.length === 0) continue; // the root itself: its metadata belongs to the mount point
      const base = parts[parts.length - 1]!;
      const parent = safeParent(known, dest, parts, e.name);
      if (base === OPAQUE) {
        run('setfattr', ['-h', '-n', 'trusted.overlay.opaque', '-v', 'y', parent]);
        continue;
      }
      if (base.startsWith(WHITEOUT)) {
        const hidden = base.slice(WHITEOUT.length);
        if (!hidden || hidden === '.' || hidden === '..') throw new UnsafeArchiveError(`bad whiteout in layer archive: ${e.name}`);
        const path = join(parent, hidden);
        clear(known, path, false);
        run('mknod', [path, 'c', '0', '0']);
        continue;
      }
      const path = join(parent, base);
      const mode = e.mode & (trusted ? 0o7777 : 0o1777);
      if (!trusted && (e.mode & 0o6000) !== 0) stats.stripped.push(`${e.name}: setuid/setgid`);
      if (!trusted && Object.keys(e.xattrs).length > 0) stats.stripped.push(`${e.name}: xattrs`);
      switch (e.type) {
        case '5': {
          if (!clear(known, path, true)) mkdirSync(path);
          known.add(path);
          chmodSync(path, mode);
          lchownSync(path, e.uid, e.gid);
          dirTimes.push([path, e.mtime]);
          break;
        }
        case '0':
        case '7': {
          stats.bytes += e.size;
          if (stats.bytes > maxBytes) throw new ArchiveLimitError(`layer archive expands to more than ${maxBytes} bytes`);
          clear(known, path, false);
          const out = openSync(path, 'wx', 0o600);
          try {
            copyData(src, e, out);
            fchownSync(out, e.uid, e.gid);
            fchmodSync(out, mode); // after chown, which clears setuid bits
            futimesSync(out, e.mtime, e.mtime);
          } finally {
            closeSync(out);
          }
          break;
        }
        case '1': {
          const linkParts = safeComponents(e.linkName);
          const target = join(safeParent(known, dest, linkParts, e.name, false), linkParts[linkParts.length - 1] ?? '');
          const st = lstatOrUndefined(target);
          if (!st || st.isDirectory()) throw new UnsafeArchiveError(`hard link ${e.name} to a missing entry or a directory: ${e.linkName}`);
          clear(known, path, false);
          linkSync(target, path); // link(2) never follows a symlink
          break;
        }
        case '2': {
          clear(known, path, false);
          symlinkSync(e.linkName, path);
          lchownSync(path, e.uid, e.gid);
          lutimesSync(path, e.mtime, e.mtime);
          break;
        }
        case '3':
        case '4':
        case '6': {
          if (!trusted && e.type !== '6') {
            stats.stripped.push(`${e.name}: device node`);
            break;
          }
          clear(known, path, false);
          const kind = e.type === '3' ? ['c', String(e.devMajor), String(e.devMinor)] : e.type === '4' ? ['b', String(e.devMajor), String(e.devMinor)] : ['p'];
          run('mknod', ['-m', (mode & 0o777).toString(8), path, ...kind]);
          lchownSync(path, e.uid, e.gid);
          break;
        }
        default:
          throw new UnsafeArchiveError(`unsupported entry type '${e.type}' in layer archive: ${e.name}`);
      }
      if (trusted) {
        const cap = e.xattrs['security.capability'];
        if (cap && (e.type === '0' || e.type === '7')) {
          run('setfattr', ['-h', '-n', 'security.capability', '-v', `0x${cap.toString('hex')}`, path]);
        }
      }
    }
  } finally {
    closeSync(src);
  }
  // Directory times last: creating their entries changed them. lutimes: a later entry
  // may have replaced the directory with a symlink.
  for (const [dir, mtime] of dirTimes.reverse()) {
    try {
      lutimesSync(dir, mtime, mtime);
    } catch {
      // replaced or removed by a later entry
    }
  }
  return stats;
}
