/** Test support (not a test file): small synthetic images in an ImageStore, without the stack. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ImageConfig, ImageInfo } from './types';
import { ImageStore, type ImageStoreOptions } from './image-store';
import { tarDirectory } from './layer-archive';

/** A fresh store in a temp dir; `cleanup` removes it. */
export async function tempStore(options: ImageStoreOptions = {}): Promise<{ store: ImageStore; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-store-'));
  const store = new ImageStore(join(dir, 'images'), options);
  await store.init();
  return { store, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Commits `files` (path → content) as one layer over `base` (or as the only layer). */
export async function makeImage(
  store: ImageStore,
  ref: string,
  files: Record<string, string>,
  base?: string,
  config: ImageConfig = { Cmd: ['/bin/sh'] },
): Promise<ImageInfo> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-layer-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    if (base) return await store.commit(base, dir, config, ref);
    const tar = store.tmpPath('test.tar');
    await tarDirectory(dir, tar);
    const diffId = await store.importLayer(tar, 'move');
    return await store.writeImage(ref, [diffId], config);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
