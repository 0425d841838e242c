/**
 * OCI image layouts both ways against the real tools: paas's export read by umoci and
 * skopeo; layouts written by skopeo (gzip layers, Docker media types) and by umoci
 * (repack with a deletion, i.e. a whiteout) imported back. Root only (layer owners).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, unlink, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportImage, importImage } from './image-layout';
import { makeImage, tempStore } from './image-test-util';
import { exec } from './exec';
import { MT_DOCKER_MANIFEST, MT_OCI_LAYER_GZIP, type OciIndex, type OciManifest } from './image-oci';

const skip = process.getuid?.() !== 0 ? 'needs root (layer owners)' : undefined;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-layout-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function manifestOf(layout: string, tag: string): Promise<OciManifest> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!;
  return JSON.parse(await readFile(join(layout, 'blobs/sha256', desc.digest.slice(7)), 'utf8')) as OciManifest;
}

describe('OCI image layout export and import', { skip }, () => {
  test('umoci unpacks and skopeo inspects what paas exports', () =>
    withDir(async (dir) => {
      const { store, cleanup } = await tempStore();
      try {
        await makeImage(store, 'test/base:1', { 'etc/os': 'base\n' });
        const img = await makeImage(store, 'test/app:v1', { 'app/hello.txt': 'hello\n' }, 'test/base:1', { Env: ['A=1'], Cmd: ['/app/run'] });
        const layout = join(dir, 'layout');
        await exportImage(store, 'test/app:v1', layout);
        await exportImage(store, 'test/base:1', layout, { name: 'base' });
        const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as OciIndex;
        assert.deepEqual(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']), ['v1', 'base']);
        assert.equal(index.manifests[0]!.digest, img.digest);

        await exec('umoci', ['unpack', '--image', `${layout}:v1`, join(dir, 'bundle')]);
        assert.equal(await readFile(join(dir, 'bundle/rootfs/app/hello.txt'), 'utf8'), 'hello\n');
        assert.equal(await readFile(join(dir, 'bundle/rootfs/etc/os'), 'utf8'), 'base\n');
        const inspect = JSON.parse(await exec('skopeo', ['inspect', `oci:${layout}:v1`])) as { Layers: string[]; Env: string[] };
        assert.deepEqual(inspect.Layers, img.layers);
        assert.deepEqual(inspect.Env, ['A=1']);
      } finally {
        await cleanup();
      }
    }));

  test('imports skopeo layouts: gzip layers and Docker media types; keeps the config verbatim', () =>
    withDir(async (dir) => {
      const src = await tempStore();
      const dst = await tempStore();
      try {
        await makeImage(src.store, 'test/base:1', { 'etc/os': 'base\n' });
        const img = await makeImage(src.store, 'test/app:v1', { 'app/hello.txt': 'hello\n' }, 'test/base:1', { Cmd: ['/app/run'] });
        await exportImage(src.store, 'test/app:v1', join(dir, 'a'));
        await exec('skopeo', ['copy', '--dest-compress-format', 'gzip', `oci:${join(dir, 'a')}:v1`, `oci:${join(dir, 'gz')}:v1`]);
        assert.ok((await manifestOf(join(dir, 'gz'), 'v1')).layers.every((l) => l.mediaType === MT_OCI_LAYER_GZIP), 'skopeo wrote gzip layers');

        const got = await importImage(dst.store, join(dir, 'gz'), 'imported/app:v1');
        assert.deepEqual(got.info.layers, img.layers, 'same diff ids after decompression');
        assert.equal(got.layersFetched, 2);
        assert.deepEqual(got.info.config, img.config);
        const lower = await dst.store.lowerDirs(got.info);
        assert.equal(await readFile(join(lower[0]!, 'app/hello.txt'), 'utf8'), 'hello\n');

        await exec('skopeo', ['copy', '--format', 'v2s2', `oci:${join(dir, 'a')}:v1`, `oci:${join(dir, 'docker')}:v1`]);
        const dm = await manifestOf(join(dir, 'docker'), 'v1');
        assert.equal(dm.mediaType, MT_DOCKER_MANIFEST);
        const again = await importImage(dst.store, join(dir, 'docker'), 'imported/docker:v1');
        assert.deepEqual(again.info.layers, img.layers);
        assert.equal(again.layersSkipped, 2, 'layers the store has are not copied again');
      } finally {
        await src.cleanup();
        await dst.cleanup();
      }
    }));

  test('imports a umoci repack: the deleted file becomes a whiteout that hides it', () =>
    withDir(async (dir) => {
      const { store, cleanup } = await tempStore();
      try {
        await makeImage(store, 'test/base:1', { 'etc/os': 'base\n', 'etc/secret': 'remove me\n' });
        const layout = join(dir, 'layout');
        await exportImage(store, 'test/base:1', layout, { name: 'base' });
        const bundle = join(dir, 'bundle');
        await exec('umoci', ['unpack', '--image', `${layout}:base`, bundle]);
        await unlink(join(bundle, 'rootfs/etc/secret'));
        await writeFile(join(bundle, 'rootfs/etc/added'), 'added\n');
        await exec('umoci', ['repack', '--image', `${layout}:next`, bundle]);
        const got = await importImage(store, layout, 'test/next:1', { name: 'next' });
        assert.equal(got.info.layers.length, 2);
        assert.equal(got.layersSkipped, 1);
        const [top] = await store.lowerDirs(got.info);
        assert.ok((await lstat(join(top!, 'etc/secret'))).isCharacterDevice(), 'whiteout');
        assert.equal(await readFile(join(top!, 'etc/added'), 'utf8'), 'added\n');
        await assert.rejects(importImage(store, layout, 'x:1', { name: 'missing' }), { code: 'image_not_found' });
        await assert.rejects(importImage(store, dir, 'x:1'), { code: 'unsupported_image' });
      } finally {
        await cleanup();
      }
    }));
});
