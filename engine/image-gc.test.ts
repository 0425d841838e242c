/**
 * removeImage and gc on a real store: untagging refuses while a container uses the
 * image (unless forced), gc frees only what no image references, keeps shared base
 * layers, and keeps the layers of an overlay still mounted. Root only (layer owners).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { collectGarbage } from './image-gc';
import type { ImageStore } from './image-store';
import { makeImage, tempStore } from './image-test-util';
import { exists } from './fs-util';
import { exec, execRaw } from './exec';

const skip = process.getuid?.() !== 0 ? 'needs root (layer owners, overlay mounts)' : undefined;

describe('removeImage and gc', { skip }, () => {
  test('untag refuses while in use, gc frees unshared content and keeps shared layers', async () => {
    const users: { image: string; container: string }[] = [];
    const { store, cleanup } = await tempStore({ inUse: () => users });
    try {
      const base = await makeImage(store, 'test/base:1', { 'etc/base.txt': 'base' });
      const a = await makeImage(store, 'test/a:1', { 'app/a.txt': 'a' }, 'test/base:1');
      const b = await makeImage(store, 'test/b:1', { 'app/b.txt': 'b' }, 'test/base:1');
      assert.equal(a.layers[0], base.layers[0]);
      users.push({ image: 'test/a:1', container: 'web-1' });

      await assert.rejects(store.remove('test/a:1'), { code: 'image_in_use', message: /web-1/ });
      await assert.rejects(store.remove('test/nope:1'), { code: 'image_not_found' });
      assert.deepEqual(await collectGarbage(store), { blobsRemoved: 0, layersRemoved: 0, bytesFreed: 0 }, 'nothing unreferenced yet');

      await store.remove('test/b:1');
      assert.equal(await store.get('test/b:1'), undefined);
      const freed = await collectGarbage(store);
      assert.equal(freed.layersRemoved, 1, "b's own layer");
      assert.equal(freed.blobsRemoved, 3, "b's layer, config and manifest");
      assert.ok(freed.bytesFreed > 0);
      assert.ok(!(await exists(store.blobPath(b.layers[1]!))));
      assert.ok(!(await exists(store.layerDir(b.layers[1]!))));
      for (const d of a.layers) assert.ok(await exists(store.layerDir(d)), 'shared and used layers stay');
      assert.ok(await exists(store.blobPath(a.digest)));

      // Forced: untagged although in use; while its overlay is mounted gc keeps its layers.
      await store.remove('test/a:1', true);
      const merged = join(store.root, '..', 'merged');
      await mkdir(merged);
      const lower = (await store.lowerDirs(a)).join(':');
      await exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower}`, merged]);
      try {
        const kept = await collectGarbage(store);
        assert.equal(kept.layersRemoved, 0);
        assert.ok(await exists(join(merged, 'app/a.txt')));
      } finally {
        await execRaw('umount', [merged]);
      }
      assert.deepEqual(await store.list().then((l) => l.map((i) => i.ref)), ['test/base:1']);
      const last = await collectGarbage(store);
      assert.equal(last.layersRemoved, 1);
      assert.deepEqual(await readdir(join(store.root, 'layers')), [base.layers[0]!.slice(7)]);
      assert.equal((await readdir(join(store.root, 'blobs/sha256'))).length, 3, 'base: layer, config, manifest');
    } finally {
      await cleanup();
    }
  });

  test('a layer imported but not yet in an image survives gc (commit in progress)', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const img = await makeImage(store, 'test/x:1', { f: 'x' });
      await store.remove('test/x:1');
      await store.importLayer(await copyBlob(store, img.layers[0]!), 'move');
      assert.equal((await collectGarbage(store)).layersRemoved, 0);
      assert.ok(await exists(store.layerDir(img.layers[0]!)));
    } finally {
      await cleanup();
    }
  });
});

async function copyBlob(store: ImageStore, digest: string): Promise<string> {
  const tmp = store.tmpPath('copy.tar');
  await exec('cp', [store.blobPath(digest), tmp]);
  return tmp;
}
