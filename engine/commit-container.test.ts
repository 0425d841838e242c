/**
 * commitContainer against the real thing: a runc container on the stack deletes and
 * replaces files, its upperdir becomes a layer with OCI whiteouts, and a container of
 * the committed image no longer sees what was deleted. Root only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineApi } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';
import { readTarEntries } from './tar-entries';
import { ImageStore } from './image-store';
import { parseGetfattr, unquoteGetfattr } from './commit-layer';
import { join } from 'node:path';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const ROOT = { uid: 0, gid: 0 };

test('getfattr output parsing (unit)', () => {
  assert.equal(unquoteGetfattr('/a\\012b\\\\c'), '/a\nb\\c');
  const out = '# file: /up/etc/apt\ntrusted.overlay.opaque="y"\n\n# file: /up\ntrusted.overlay.opaque="x"\n\n# file: /elsewhere\na="b"\n';
  assert.deepEqual(parseGetfattr(out, '/up'), [
    { path: 'etc/apt', name: 'trusted.overlay.opaque', value: 'y' },
    { path: '', name: 'trusted.overlay.opaque', value: 'x' },
  ]);
});

test('commit of a container', { skip, timeout: 300_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash4', '10.235.0.1/16');
  let engine: EngineApi;
  try {
    engine = await setup.open();
    await engine.ensureStack();
    const store = new ImageStore(join(setup.options.dataDir, 'images'));

    await t.test('a stopped container: new files, deletions as .wh. files, a replaced dir as opaque', async () => {
      const id = uniq('commit');
      const script = [
        'echo committed > /srv/new.txt',
        'rm /etc/issue',
        'rm -r /etc/apt/apt.conf.d && mkdir /etc/apt/apt.conf.d && echo only > /etc/apt/apt.conf.d/only',
      ].join(' && ');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', script], user: ROOT });
      await engine.start(id);
      await pollFor(async () => ((await engine.inspect(id))?.state === 'stopped' ? true : undefined), 20_000);
      assert.equal((await engine.inspect(id))?.exitCode, 0);
      const started = Date.now();
      const img = await engine.commitContainer(id, 'test/committed:v1', { Env: ['COMMITTED=yes'] });
      t.diagnostic(`commit of a small upperdir: ${Date.now() - started} ms`);
      await engine.remove(id);

      const stack = (await engine.image(STACK_REF))!;
      assert.deepEqual(img.layers.slice(0, -1), stack.layers);
      assert.equal(img.layers.length, stack.layers.length + 1);
      assert.ok(img.config.Env!.includes('COMMITTED=yes'));
      assert.equal(img.config.User, stack.config.User, 'the base config is kept');
      const names = (await readTarEntries(store.blobPath(img.layers.at(-1)!))).map((e) => e.name.replace(/^\.\//, ''));
      assert.ok(names.includes('srv/new.txt'), names.join(' '));
      assert.ok(names.includes('etc/.wh.issue'), 'deleted file → .wh. entry');
      assert.ok(names.includes('etc/apt/apt.conf.d/.wh..wh..opq'), 'replaced dir → opaque whiteout');
      assert.ok(!names.some((n) => n.endsWith('/issue')), 'no char device entry left');

      const out = collector();
      const script2 = 'cat /srv/new.txt; test -e /etc/issue && echo issue-visible; ls /etc/apt/apt.conf.d; echo "$COMMITTED"';
      const r = await engine.run({ id: uniq('check'), image: 'test/committed:v1', cmd: ['/bin/sh', '-c', script2] }, { output: out.stream });
      assert.equal(r.exitCode, 0, out.text());
      assert.equal(out.text(), 'committed\nonly\nyes\n');
    });

    await t.test('a running container is paused for the commit and keeps running', async () => {
      const id = uniq('live');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', 'echo live > /tmp/live; exec sleep 60'], network: 'none' });
      await engine.start(id);
      await pollFor(async () => ((await engine.inspect(id))?.state === 'running' ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, 300)); // let it write its file
      const img = await engine.commitContainer(id, 'test/live:v1');
      assert.equal((await engine.inspect(id))?.state, 'running');
      const names = (await readTarEntries(store.blobPath(img.layers.at(-1)!))).map((e) => e.name);
      assert.ok(names.some((n) => n.endsWith('tmp/live')), names.join(' '));
      await engine.remove(id);
    });

    await t.test('an unknown container is a typed error', async () => {
      await assert.rejects(engine.commitContainer('no-such-container', 'x:y'), { code: 'container_not_found' });
    });
  } finally {
    await setup.cleanup();
  }
});
