/**
 * Images through the whole engine (root only; bridge paash1 10.232.0.1/16): the stack
 * exported to a layout, changed by umoci (a deleted file, an added one) and imported
 * back, a container run from it (the whiteout hides the stack's file); removeImage and
 * gc through the EngineApi; push to and pull from the embedded registry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { startRegistry } from './registry-server';
import { exec } from './exec';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

test('images through the engine', { skip, timeout: 600_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash1', '10.232.0.1/16');
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-images-'));
  let engine: EngineApi;
  try {
    engine = await setup.open();
    const stack = await engine.ensureStack();

    await t.test('a umoci-repacked export imports and runs, its whiteout hiding a stack file', async () => {
      const layout = join(dir, 'layout');
      await engine.exportImage(STACK_REF, layout, { name: 'stack' });
      const bundle = join(dir, 'bundle');
      await exec('umoci', ['unpack', '--image', `${layout}:stack`, bundle]);
      await unlink(join(bundle, 'rootfs/etc/issue'));
      await writeFile(join(bundle, 'rootfs/etc/umoci.txt'), 'repacked by umoci\n');
      await exec('umoci', ['repack', '--image', `${layout}:next`, bundle]);
      await rm(bundle, { recursive: true, force: true });

      const got = await engine.importImage(layout, 'test/umoci:1', { name: 'next' });
      assert.deepEqual([got.layersFetched, got.layersSkipped], [1, 1], 'the stack layer is already here');
      assert.equal(got.info.layers[0], stack.layers[0]);
      const out = collector();
      const script = 'cat /etc/umoci.txt; test -e /etc/issue && echo issue-visible || echo issue-hidden; id -u';
      const r = await engine.run({ id: uniq('umoci'), image: 'test/umoci:1', cmd: ['/bin/bash', '-c', script] }, { output: out.stream });
      assert.equal(r.exitCode, 0, out.text());
      assert.deepEqual(out.text().trim().split('\n'), ['repacked by umoci', 'issue-hidden', '1000']);
    });

    await t.test('removeImage refuses while a container uses the image; gc frees the rest', async () => {
      const id = uniq('user');
      await engine.create({ id, image: 'test/umoci:1', cmd: ['true'] });
      await assert.rejects(engine.removeImage('test/umoci:1'), { code: 'image_in_use' });
      await engine.remove(id);
      await engine.removeImage('test/umoci:1');
      const freed = await engine.gc();
      assert.equal(freed.layersRemoved, 1);
      assert.ok(freed.blobsRemoved >= 3);
      assert.ok((await engine.image(STACK_REF))?.layers[0] === stack.layers[0], 'the stack stays');
    });

    await t.test('push to the embedded registry and pull back under a new name', async () => {
      const app = join(dir, 'app');
      await exec('mkdir', ['-p', join(app, 'app')]);
      await writeFile(join(app, 'app/hello.txt'), 'hello\n');
      const img = await engine.commit(STACK_REF, app, { Env: ['X=1'] }, 'test/app:v1');
      const reg = await startRegistry({ dir: join(dir, 'registry'), token: 'tok' });
      try {
        const creds = { username: 'paas', password: 'tok' };
        const pushed = await engine.push('test/app:v1', reg.url, 'apps/app:v1', creds);
        assert.equal(pushed.digest, img.digest);
        const pulled = await engine.pull(reg.url, 'apps/app:v1', 'copy/app:v1', creds);
        assert.deepEqual([pulled.layersFetched, pulled.layersSkipped, pulled.bytesFetched], [0, 2, 0], 'every layer is here already');
        assert.equal(pulled.info.digest, img.digest);
        const out = collector();
        const r = await engine.run({ id: uniq('pulled'), image: 'copy/app:v1', cmd: ['/bin/bash', '-c', 'cat /app/hello.txt; echo $X'] }, { output: out.stream });
        assert.equal(r.exitCode, 0);
        assert.equal(out.text(), 'hello\n1\n');
      } finally {
        await reg.close();
      }
    });
  } finally {
    await setup.cleanup();
    await rm(dir, { recursive: true, force: true });
  }
});
