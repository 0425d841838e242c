/**
 * Bench (wired into `npm run bench`; root only, layers keep their owners): the time to
 * pull an app image from the embedded registry on loopback when its base layers are
 * already on the host, against the same pull onto an empty host. The base is the real
 * stack when this host has it cached, else a synthetic base of 3,000 files.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStore } from './image-store';
import { createStack, STACK_REF } from './stack';
import { exists } from './fs-util';
import { startRegistry } from './registry-server';
import { pullImage, pushImage } from './registry-client';
import { DEFAULT_CACHE_DIR } from './engine';

interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  baselineName: string;
}

const RUNS = 2;

async function store(root: string, name: string): Promise<ImageStore> {
  const s = new ImageStore(join(root, name));
  await s.init();
  return s;
}

async function writeTree(dir: string, files: number, bytesEach: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${i % 50}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${i}`), Buffer.alloc(bytesEach, i % 251));
  }
}

/** The base image in `s`: the stack from the host cache, or a synthetic one. */
async function baseImage(s: ImageStore, work: string, useStack: boolean): Promise<{ ref: string; what: string }> {
  if (useStack && (await exists(join(DEFAULT_CACHE_DIR, 'stack-bookworm.tar')))) {
    await createStack(s, { cacheDir: DEFAULT_CACHE_DIR, mirror: 'http://deb.debian.org/debian' }, () => undefined);
    return { ref: STACK_REF, what: 'stack' };
  }
  const dir = join(work, 'base-tree');
  await writeTree(dir, 3000, 16 * 1024);
  await s.writeImage('bench/base:1', [], {});
  await s.commit('bench/base:1', dir, {}, 'bench/base:2');
  return { ref: 'bench/base:2', what: 'synthetic base' };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** `useStack: false` forces the synthetic base (quicker; used to check the bench itself). */
export async function benchPull(options: { useStack?: boolean } = {}): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'paas-bench-pull-'));
  const reg = await startRegistry({ dir: join(work, 'registry'), token: 'bench' });
  const creds = { username: 'bench', password: 'bench' };
  try {
    const source = await store(work, 'source');
    const base = await baseImage(source, work, options.useStack ?? true);
    const appDir = join(work, 'app-tree');
    await writeTree(appDir, 200, 32 * 1024);
    await source.commit(base.ref, appDir, { Cmd: ['/app/run'] }, 'bench/app:1');
    await pushImage(source, base.ref, reg.url, 'bench/base:1', creds);
    await pushImage(source, 'bench/app:1', reg.url, 'bench/app:1', creds);

    let cold = Infinity;
    let warm = Infinity;
    for (let i = 0; i < RUNS; i++) {
      const empty = await store(work, `cold-${i}`);
      cold = Math.min(cold, await timed(() => pullImage(empty, reg.url, 'bench/app:1', 'bench/app:1', creds)));
      const primed = await store(work, `warm-${i}`);
      await pullImage(primed, reg.url, 'bench/base:1', 'bench/base:1', creds);
      warm = Math.min(warm, await timed(() => pullImage(primed, reg.url, 'bench/app:1', 'bench/app:1', creds)));
      await rm(join(work, `cold-${i}`), { recursive: true, force: true });
      await rm(join(work, `warm-${i}`), { recursive: true, force: true });
    }
    return [
      {
        name: `pull app image (${base.what} layers present)`,
        value: Math.round(warm),
        unit: 'ms',
        baseline: Math.round(cold),
        baselineName: 'same pull onto an empty host',
      },
    ];
  } finally {
    await reg.close();
    await rm(work, { recursive: true, force: true });
  }
}
