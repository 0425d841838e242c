/**
 * A container's writable layer (its overlayfs upperdir) as an OCI layer tarball.
 *
 * The upperdir is almost a layer already; only deletions differ. overlayfs records a
 * deleted file as a character device 0/0 and a directory that replaced a lower one as
 * a directory with the xattr trusted.overlay.opaque=y; OCI layers say the same with
 * an empty `.wh.<name>` file and a `.wh..wh..opq` file inside the directory.
 *
 * The conversion happens in a staging copy made of hard links (`cp -al`): no file data
 * is copied, the upperdir itself is never modified (the container may be paused, not
 * gone), and the tarball is then made by the same deterministic tarDirectory as every
 * other layer.
 */
import { readdir, lstat, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UncommittableLayerError } from './errors';
import { exec, execRaw } from './exec';
import { tarDirectory } from './layer-archive';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** Whether `dir` is missing or has no entries (a container that changed nothing). */
export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** Undoes getfattr's quoting of file names (octal escapes like \012, and \\). */
export function unquoteGetfattr(name: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\' && /^[0-7]{3}$/.test(name.slice(i + 1, i + 4))) {
      bytes.push(parseInt(name.slice(i + 1, i + 4), 8));
      i += 3;
    } else if (name[i] === '\\' && name[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      bytes.push(...Buffer.from(name[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface OverlayXattr {
  /** Path relative to the scanned directory. */
  path: string;
  name: string;
  value: string;
}

/** Parses `getfattr -d -e text --absolute-names` output for paths under `root`. */
export function parseGetfattr(output: string, root: string): OverlayXattr[] {
  const out: OverlayXattr[] = [];
  let file: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('# file: ')) {
      const abs = unquoteGetfattr(line.slice('# file: '.length));
      file = abs === root ? '' : abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : undefined;
      continue;
    }
    const m = /^([^=]+)="(.*)"$/.exec(line);
    if (m && file !== undefined) out.push({ path: file, name: m[1]!, value: m[2]! });
  }
  return out;
}

/** The trusted.overlay.* xattrs in `dir` that matter for a layer. */
async function overlayXattrs(dir: string): Promise<OverlayXattr[]> {
  const r = await execRaw('getfattr', ['-R', '-P', '--absolute-names', '-d', '-e', 'text', '-m', '^trusted\\.overlay\\.(opaque|redirect|metacopy)$', dir]);
  // getfattr exits 1 when some file vanished or has odd names, but still prints the rest.
  if (r.code !== 0 && r.stdout === '') throw new Error(`getfattr failed on ${dir}: ${r.stderr.trim()}`);
  return parseGetfattr(r.stdout, dir);
}

/** Replaces every overlay whiteout (char device 0/0) under `dir` with an OCI `.wh.` file. */
async function convertWhiteouts(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      count += await convertWhiteouts(path);
    } else if (entry.isCharacterDevice() && (await lstat(path)).rdev === 0) {
      await unlink(path);
      await writeFile(join(dir, `${WHITEOUT_PREFIX}${entry.name}`), '', { mode: 0o600 });
      count++;
    }
  }
  return count;
}

export interface UpperLayerStats {
  /** sha256 hex of the tarball (its diff id). */
  hex: string;
  whiteouts: number;
  opaqueDirs: number;
}

/**
 * Writes the OCI layer tarball of `upper` to `outTar`, using `staging` (must not exist,
 * same filesystem as `upper` for hard links; removed afterwards) for the conversion.
 */
export async function tarUpperDir(upper: string, staging: string, outTar: string): Promise<UpperLayerStats> {
  const xattrs = await overlayXattrs(upper);
  const unsupported = xattrs.find((x) => x.name !== 'trusted.overlay.opaque');
  if (unsupported) {
    throw new UncommittableLayerError(
      `cannot commit ${unsupported.path}: overlayfs ${unsupported.name} (mount without redirect_dir/metacopy to commit)`,
    );
  }
  // 'y' is an opaque directory; 'x' (kernel 6.7+) only marks a parent of xwhiteouts.
  const opaque = xattrs.filter((x) => x.value === 'y' && x.path !== '').map((x) => x.path);
  try {
    // Falls back to a real copy only if hard links are refused (another filesystem).
    const linked = await execRaw('cp', ['-a', '-l', upper, staging]);
    if (linked.code !== 0) {
      await rm(staging, { recursive: true, force: true });
      await exec('cp', ['-a', upper, staging]);
    }
    const whiteouts = await convertWhiteouts(staging);
    for (const rel of opaque) await writeFile(join(staging, rel, OPAQUE_WHITEOUT), '', { mode: 0o600 });
    const { hex } = await tarDirectory(staging, outTar);
    return { hex, whiteouts, opaqueDirs: opaque.length };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
