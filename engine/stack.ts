/**
 * The stack: the Debian bookworm image (minbase + ca-certificates + curl) in which
 * builds and apps run, as user paas (1000:1000, home /app). It is bootstrapped once per
 * host with debootstrap; the resulting layer tarball is cached host-wide in cacheDir so
 * every other data dir on the machine only imports it.
 */
import { appendFile, mkdir, chown, readFile, rm, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInfo, ImageConfig } from './types';
import type { ImageStore } from './image-store';
import { exec } from './exec';
import { exists, writeFileAtomic } from './fs-util';
import { withFileLock } from './file-lock';
import { extractLayer, sha256File, tarDirectory } from './layer-archive';

export const STACK_REF = 'paas/stack:bookworm';
export const STACK_CACHE_NAME = 'stack-bookworm.tar';

export const STACK_CONFIG: ImageConfig = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/app'],
  User: '1000:1000',
  WorkingDir: '/app',
  Cmd: ['/bin/bash'],
  Labels: { 'io.paas.stack': 'bookworm' },
};

type Progress = (line: string) => void;

/** Adds user and group paas (1000) with home /app, by editing the files directly. */
async function addPaasUser(rootfs: string): Promise<void> {
  const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8');
  if (!/^paas:/m.test(passwd)) {
    await appendFile(join(rootfs, 'etc/passwd'), 'paas:x:1000:1000:paas:/app:/bin/bash\n');
    await appendFile(join(rootfs, 'etc/group'), 'paas:x:1000:\n');
    await appendFile(join(rootfs, 'etc/shadow'), 'paas:!:19000:0:99999:7:::\n').catch(() => undefined);
  }
  await mkdir(join(rootfs, 'app'), { recursive: true });
  await chown(join(rootfs, 'app'), 1000, 1000);
}

/** Removes what must not be baked into an image: the host's DNS config, apt caches. */
async function scrub(rootfs: string): Promise<void> {
  await writeFile(join(rootfs, 'etc/resolv.conf'), '');
  await writeFile(join(rootfs, 'etc/hostname'), 'localhost\n');
  await writeFile(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
  for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    await exec('find', [join(rootfs, d), '-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-delete']).catch(() => '');
  }
}

/** Runs debootstrap and writes the stack layer tarball to `cacheFile` (atomically). */
async function bootstrapToCache(cacheFile: string, mirror: string, progress: Progress): Promise<void> {
  const work = `${cacheFile}.rootfs-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  try {
    progress(`debootstrap bookworm from ${mirror} (once per host, about a minute)`);
    await exec(
      'debootstrap',
      ['--variant=minbase', '--include=ca-certificates,curl', 'bookworm', work, mirror],
      { onLine: (l) => l.trim() && progress(l) },
    );
    await addPaasUser(work);
    await scrub(work);
    progress('packing the stack layer');
    const tmp = `${cacheFile}.tmp-${process.pid}`;
    await tarDirectory(work, tmp);
    await rename(tmp, cacheFile);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface StackOptions {
  cacheDir: string;
  mirror: string;
}

/** Makes sure the stack image exists in `store`, from the host cache or by debootstrap. */
export async function createStack(store: ImageStore, opts: StackOptions, progress: Progress): Promise<ImageInfo> {
  const existing = await store.get(STACK_REF);
  if (existing) return existing;
  await mkdir(opts.cacheDir, { recursive: true });
  const cacheFile = join(opts.cacheDir, STACK_CACHE_NAME);
  // The host-wide lock makes concurrent engines (other data dirs) wait for one debootstrap.
  const digestFile = `${cacheFile}.sha256`;
  const seed = join(opts.cacheDir, 'stack-bookworm.layer');
  await withFileLock(join(opts.cacheDir, 'stack.lock'), async () => {
    if (!(await exists(cacheFile))) {
      await rm(digestFile, { force: true });
      await rm(seed, { recursive: true, force: true });
      await bootstrapToCache(cacheFile, opts.mirror, progress);
    }
    if (!(await exists(digestFile))) await writeFileAtomic(digestFile, await sha256File(cacheFile));
    // An unpacked copy, so data dirs on this filesystem hard-link the layer instead of untarring it.
    if (!(await exists(seed))) await extractLayer(cacheFile, seed, { trusted: true });
  });
  progress('importing the stack layer');
  const hex = (await readFile(digestFile, 'utf8')).trim();
  const info = await store.gcLock.shared(async () => {
    const diffId = await store.importLayer(cacheFile, 'link', { diffId: `sha256:${hex}`, seed, trusted: true });
    return store.writeImage(STACK_REF, [diffId], STACK_CONFIG);
  });
  progress(`stack ready: ${STACK_REF}`);
  return info;
}
