/**
 * Named volumes against the real thing (root only): data outliving its container and
 * shared between running ones, ownership for uid 1000 apps, in-use refusal, and mount
 * destinations that are symlinks in the image (CVE-2021-30465 class) staying inside
 * the container. Own bridge paash5 10.236.0.1/16.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

test('volumes integration', { skip, timeout: 300_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash5', '10.236.0.1/16');
  const hostDir = await mkdtemp(join(tmpdir(), 'paas-volume-host-'));
  let engine: EngineApi;
  const sh = async (script: string, mounts: NonNullable<Parameters<EngineApi['run']>[0]['mounts']>, image = STACK_REF): Promise<[number, string]> => {
    const out = collector();
    const r = await engine.run({ id: uniq('sh'), image, cmd: ['/bin/bash', '-c', script], mounts }, { output: out.stream });
    return [r.exitCode, out.text()];
  };
  try {
    engine = await setup.open();
    await engine.ensureStack();

    await t.test('data outlives its container; a fresh volume belongs to the app user (1000)', async () => {
      const [code, out] = await sh('id -u; echo hello > /data/file; stat -c %u:%g /data', [{ volume: 'keep', destination: '/data' }]);
      assert.equal(code, 0, out);
      assert.equal(out, '1000\n1000:1000\n');
      const v = await engine.inspectVolume('keep');
      assert.ok(v, 'created on first use');
      assert.deepEqual(v.usedBy, [], 'the one-shot container is gone');
      assert.equal(await readFile(join(v.mountpoint, 'file'), 'utf8'), 'hello\n');
      assert.equal((await stat(join(v.mountpoint, 'file'))).uid, 1000);
      const [code2, out2] = await sh('cat /data/file; echo more >> /data/file', [{ volume: 'keep', destination: '/data' }]);
      assert.equal(code2, 0);
      assert.equal(out2, 'hello\n');
      assert.equal(await readFile(join(v.mountpoint, 'file'), 'utf8'), 'hello\nmore\n');
      const [code3, out3] = await sh('cat /data/file; echo x > /data/file', [{ volume: 'keep', destination: '/data', readonly: true }]);
      assert.notEqual(code3, 0, 'read-only mount refuses writes');
      assert.match(out3, /Read-only file system/);
      await engine.removeVolume('keep');
      assert.equal(await engine.inspectVolume('keep'), undefined);
    });

    await t.test('two running containers see each other\'s writes; removal refused while they exist', async () => {
      await engine.createVolume('live', { purpose: 'test' });
      const peer = (me: string, other: string): string =>
        `echo from-${me} > /data/${me}; until [ -f /data/${other} ]; do sleep 0.05; done; cat /data/${other} > /data/${me}-saw; exec sleep 60`;
      const a = uniq('a');
      const b = uniq('b');
      for (const [id, me, other] of [[a, 'a', 'b'], [b, 'b', 'a']] as const) {
        await engine.create({ id, image: STACK_REF, cmd: ['/bin/bash', '-c', peer(me, other)], mounts: [{ volume: 'live', destination: '/data' }] });
        await engine.start(id);
      }
      const v = (await engine.inspectVolume('live'))!;
      assert.deepEqual(v.labels, { purpose: 'test' });
      assert.deepEqual([...v.usedBy].sort(), [a, b].sort());
      const saw = (who: string): Promise<string | undefined> => readFile(join(v.mountpoint, `${who}-saw`), 'utf8').catch(() => undefined);
      assert.equal(await pollFor(async () => ((await saw('a')) || undefined), 10_000, 50), 'from-b\n');
      assert.equal(await pollFor(async () => ((await saw('b')) || undefined), 10_000, 50), 'from-a\n');
      // Outside the union filesystem: the upper dir holds at most the empty mount point.
      assert.deepEqual(await readdir(join(setup.options.dataDir, 'containers', a, 'upper', 'data')).catch(() => []), []);

      await assert.rejects(engine.removeVolume('live'), { code: 'volume_in_use' });
      await engine.stop(a, 0);
      await assert.rejects(engine.removeVolume('live'), { code: 'volume_in_use', message: new RegExp(a) }, 'a stopped container still uses it');
      await engine.remove(a);
      await engine.remove(b);
      await engine.removeVolume('live');
      assert.deepEqual((await engine.volumes()).map((x) => x.name), []);
      await assert.rejects(engine.removeVolume('live'), { code: 'volume_not_found' });
      await assert.rejects(engine.createVolume('../x'), { code: 'invalid_volume_name' });
    });

    await t.test('a mount destination that is a symlink in the image stays inside the rootfs (CVE-2021-30465 class)', async () => {
      await writeFile(join(hostDir, 'secret'), 'host secret\n');
      const layer = await mkdtemp(join(tmpdir(), 'paas-volume-layer-'));
      try {
        await mkdir(join(layer, 'evil'));
        await symlink(hostDir, join(layer, 'evil/abs'));
        await symlink(`../../../../../../../..${hostDir}`, join(layer, 'evil/rel'));
        await engine.commit(STACK_REF, layer, {}, 'test/symlinks:v1');
      } finally {
        await rm(layer, { recursive: true, force: true });
      }
      for (const dest of ['/evil/abs', '/evil/rel']) {
        const [code, out] = await sh(
          `ls -A ${dest}; echo pwned > ${dest}/planted && echo written`,
          [{ volume: 'sym', destination: dest }],
          'test/symlinks:v1',
        );
        assert.equal(code, 0, out);
        assert.equal(out, 'written\n', `${dest}: the container saw the (empty) volume, not the host dir`);
        const v = (await engine.inspectVolume('sym'))!;
        assert.equal(await readFile(join(v.mountpoint, 'planted'), 'utf8'), 'pwned\n', `${dest}: the write went into the volume`);
        assert.deepEqual(await readdir(hostDir), ['secret'], `${dest}: the host directory was not touched`);
        await engine.removeVolume('sym');
      }
    });
  } finally {
    await setup.cleanup();
    await rm(hostDir, { recursive: true, force: true });
  }
});
