import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VolumeStore, checkVolumeName } from './volume-store';
import { resolveMounts } from './volume-mounts';

async function withStore(fn: (s: VolumeStore, users: Map<string, string[]>, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-volume-unit-'));
  const users = new Map<string, string[]>();
  const store = new VolumeStore(join(dir, 'volumes'), (n) => users.get(n) ?? []);
  try {
    await store.init();
    await fn(store, users, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('volume names', () => {
  for (const ok of ['a', 'data', 'my_vol.1-x', 'A9', 'x'.repeat(64)]) checkVolumeName(ok);
  for (const bad of ['', '.hidden', '-x', '_x', 'a/b', '..', 'a b', 'x'.repeat(65), 'é']) {
    assert.throws(() => checkVolumeName(bad), { code: 'invalid_volume_name' }, bad);
  }
});

test('create, inspect, list, remove; create is idempotent', async () => {
  await withStore(async (store, users, dir) => {
    const v = await store.create('data', { app: 'blog' });
    assert.equal(v.mountpoint, join(dir, 'volumes/data/_data'));
    assert.deepEqual(v.labels, { app: 'blog' });
    assert.deepEqual(v.usedBy, []);
    assert.ok((await stat(v.mountpoint)).isDirectory());
    await writeFile(join(v.mountpoint, 'keep'), 'x');
    const again = await store.create('data');
    assert.equal(again.createdAt, v.createdAt);
    assert.equal(await readFile(join(v.mountpoint, 'keep'), 'utf8'), 'x', 'create of an existing volume keeps its data');
    await store.create('other');
    assert.deepEqual((await store.list()).map((x) => x.name), ['data', 'other']);
    assert.equal(await store.inspect('nope'), undefined);

    users.set('data', ['web-1']);
    assert.deepEqual((await store.inspect('data'))!.usedBy, ['web-1']);
    await assert.rejects(store.remove('data'), { code: 'volume_in_use', message: /web-1/ });
    users.delete('data');
    await store.remove('data');
    assert.equal(await store.inspect('data'), undefined);
    assert.deepEqual(await readdir(join(dir, 'volumes')), ['other']);
    await assert.rejects(store.remove('data'), { code: 'volume_not_found' });
    await assert.rejects(store.create('../etc'), { code: 'invalid_volume_name' });
  });
});

test('a directory without volume.json (an interrupted create) is not a volume', async () => {
  await withStore(async (store, _users, dir) => {
    await store.create('half');
    await rm(join(dir, 'volumes/half/volume.json'));
    assert.deepEqual(await store.list(), []);
    assert.equal(await store.inspect('half'), undefined);
  });
});

test('mounts: volumes resolve to their directory (created on first use), bad mounts are refused', async () => {
  await withStore(async (store) => {
    const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const resolved = await resolveMounts(
      [{ volume: 'auto', destination: '/data' }, { source: '/etc/hostname', destination: '/x', readonly: true }],
      store,
      owner,
    );
    assert.deepEqual(resolved, [
      { source: store.dataPath('auto'), destination: '/data' },
      { source: '/etc/hostname', destination: '/x', readonly: true },
    ]);
    assert.ok(await store.inspect('auto'));
    const bad = [
      { destination: '/x' },
      { source: '/a', volume: 'v', destination: '/x' },
      { source: 'rel', destination: '/x' },
      { volume: 'v', destination: 'rel' },
      { volume: 'v', destination: '/a/../b' },
      { volume: 'bad/name', destination: '/x' },
    ];
    for (const m of bad) await assert.rejects(resolveMounts([m], store, owner), { code: /^invalid_/ }, JSON.stringify(m));
    await assert.rejects(resolveMounts([{ volume: 'v', destination: '/x' }], undefined, owner), /not available/);
    assert.equal(await store.inspect('v'), undefined, 'no volume made for a refused spec');
  });
});
