/**
 * A read-only view of an image's files during a build, for what the builder must know
 * without running a container: user and group names (/etc/passwd, /etc/group), and the
 * owners and modes of existing directories a COPY writes into. Two or more layers are
 * stacked with a read-only overlay mount (overlayfs applies the whiteouts); paths are
 * always resolved inside the view, the way chroot would, never on the host.
 */
import { lstat, mkdir, readFile, readlink, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ImageStore } from './image-store';
import { DockerfileError } from './errors';
import { exec } from './exec';
import { unmountOverlay } from './overlay';

/** Runs `fn` with the root directory of the image made of `layers` (bottom first). */
export async function withImageView<T>(images: ImageStore, layers: readonly string[], fn: (root: string) => Promise<T>): Promise<T> {
  const dirs: string[] = [];
  for (const d of layers) dirs.push(await images.ensureUnpacked(d));
  if (dirs.length === 1) return fn(dirs[0]!); // only read, never written
  const root = images.tmpPath('view');
  await mkdir(root, { recursive: true });
  try {
    if (dirs.length > 1) await exec('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${dirs.reverse().join(':')}`, root]);
    return await fn(root);
  } finally {
    await unmountOverlay(root);
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Resolves `path` (absolute, in the image) through the image's symlinks as if `root`
 * were `/`: `..` and absolute link targets never leave it. Components that do not exist
 * are kept as written. Returns the resolved in-image path.
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const pending = posix.normalize(path).split('/').filter(Boolean);
  let current = '/';
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    if (pending.length === 0 && !followLast) return next;
    const st = await lstat(root + next).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > 40) throw new DockerfileError(`too many levels of symbolic links in ${path}`);
    const target = await readlink(root + next);
    pending.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) current = '/';
  }
  return current;
}

async function readImageFile(root: string, path: string): Promise<string> {
  return readFile(root + (await resolveInRoot(root, path)), 'utf8').catch(() => '');
}

function findEntry(file: string, match: (fields: string[]) => boolean): string[] | undefined {
  for (const line of file.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 4 && match(fields)) return fields;
  }
  return undefined;
}

/**
 * `user[:group]` (names or numbers) as numeric ids, looked up in the image like Docker
 * does: a user name must exist; a number that has no passwd entry gets group 0.
 */
export async function resolveUser(root: string, spec: string): Promise<{ uid: number; gid: number }> {
  const [user = '', group] = spec.split(':', 2);
  const passwd = await readImageFile(root, '/etc/passwd');
  const entry = findEntry(passwd, (f) => (/^\d+$/.test(user) ? f[2] === user : f[0] === user));
  if (!entry && !/^\d+$/.test(user)) throw new DockerfileError(`unable to find user ${user}: no matching entries in passwd file`);
  const uid = entry ? Number(entry[2]) : Number(user);
  let gid = entry ? Number(entry[3]) : 0;
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const g = findEntry(await readImageFile(root, '/etc/group'), (f) => f[0] === group);
      if (!g) throw new DockerfileError(`unable to find group ${group}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid };
}
