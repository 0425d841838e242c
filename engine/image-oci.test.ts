/** Unit tests (run anywhere): OCI helpers, remote refs, the gc lock, tar header parsing of hostile names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MT_DOCKER_LAYER_GZIP, MT_OCI_LAYER, MT_OCI_MANIFEST, hexOf, hostPlatform, layerCompression, pickPlatform, splitRef,
} from './image-oci';
import { parseRemoteRef } from './registry-client';
import { SharedExclusiveLock } from './image-lock';
import { safeComponents } from './layer-extract';
import { readTarEntries } from './tar-entries';
import { writeTestTar } from './layer-test-tar';

test('refs: local name:tag and remote repo:tag / repo@digest', () => {
  assert.deepEqual(splitRef('paas/stack:bookworm'), { name: 'paas/stack', tag: 'bookworm' });
  assert.deepEqual(splitRef('localhost:5000/app'), { name: 'localhost:5000/app', tag: 'latest' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseRemoteRef(`team/app@${d}`), { name: 'team/app', reference: d });
  assert.deepEqual(parseRemoteRef('team/app:v1'), { name: 'team/app', reference: 'v1' });
  assert.deepEqual(parseRemoteRef('team/app'), { name: 'team/app', reference: 'latest' });
});

test('digests and media types are checked before use (no path tricks through a digest)', () => {
  assert.throws(() => hexOf('sha256:../../etc/passwd'), { code: 'unsupported_image' });
  assert.throws(() => hexOf('md5:abc'), { code: 'unsupported_image' });
  assert.equal(layerCompression(MT_OCI_LAYER), 'none');
  assert.equal(layerCompression(MT_DOCKER_LAYER_GZIP), 'gzip');
  assert.throws(() => layerCompression('application/vnd.oci.image.layer.v1.tar+zstd'), { code: 'unsupported_image' });
});

test("an image index gives this host's platform", () => {
  const me = hostPlatform();
  const digest = (c: string): string => `sha256:${c.repeat(64)}`;
  const index = {
    schemaVersion: 2 as const,
    manifests: [
      { mediaType: MT_OCI_MANIFEST, digest: digest('1'), size: 1, platform: { architecture: 'riscv64', os: 'linux' } },
      { mediaType: MT_OCI_MANIFEST, digest: digest('2'), size: 1, platform: me },
    ],
  };
  assert.equal(pickPlatform(index).digest, digest('2'));
  assert.throws(() => pickPlatform({ schemaVersion: 2, manifests: [index.manifests[0]!] }), { code: 'unsupported_image' });
});

test('entry names: absolute and .. refused, backslashes and dots are plain characters', () => {
  assert.throws(() => safeComponents('/etc/passwd'), { code: 'unsafe_archive' });
  assert.throws(() => safeComponents('./a/../../b'), { code: 'unsafe_archive' });
  assert.deepEqual(safeComponents('./a//./b/'), ['a', 'b']);
  assert.deepEqual(safeComponents('..\\..\\x'), ['..\\..\\x']);
  assert.deepEqual(safeComponents('...'), ['...']);
});

test('tar headers: types, modes, owners, devices read back; a corrupt header is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-tarhdr-'));
  try {
    writeTestTar(join(dir, 'a.tar'), [
      { name: 'dev/null', type: '3', devMajor: 1, devMinor: 3, mode: 0o666 },
      { name: 'bin/su', data: 'x', mode: 0o4755, uid: 0, gid: 42 },
      { name: 'l', type: '2', linkName: '/etc/passwd' },
    ]);
    const e = await readTarEntries(join(dir, 'a.tar'));
    assert.deepEqual(
      e.map((x) => [x.name, x.type, x.mode, x.gid, x.devMajor, x.devMinor, x.linkName]),
      [
        ['dev/null', '3', 0o666, 0, 1, 3, ''],
        ['bin/su', '0', 0o4755, 42, 0, 0, ''],
        ['l', '2', 0o644, 0, 0, 0, '/etc/passwd'],
      ],
    );
    const bytes = await readFile(join(dir, 'a.tar'));
    bytes[0] = 0x41; // name changed, checksum not
    await writeFile(join(dir, 'bad.tar'), bytes);
    await assert.rejects(readTarEntries(join(dir, 'bad.tar')), { code: 'unsafe_archive', message: /checksum/ });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('gc lock: gc waits for content being added, and new additions wait for gc', async () => {
  const lock = new SharedExclusiveLock();
  const events: string[] = [];
  let release!: () => void;
  const adding = lock.shared(async () => {
    events.push('add:start');
    await new Promise<void>((r) => (release = r));
    events.push('add:end');
  });
  const gc = lock.exclusive(async () => {
    events.push('gc');
    await new Promise((r) => setTimeout(r, 20));
  });
  await new Promise((r) => setTimeout(r, 20));
  const later = lock.shared(async () => {
    events.push('add2');
  });
  release();
  await Promise.all([adding, gc, later]);
  assert.deepEqual(events, ['add:start', 'add:end', 'gc', 'add2']);
});
