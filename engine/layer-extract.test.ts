/**
 * Hostile layer archives (RELIABILITY.md T21), made entry by entry, unpacked by the
 * real extractor into a root next to a canary file and a canary directory that must
 * stay untouched. Root only (owners, device nodes, overlay mounts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractLayer } from './layer-archive';
import { writeTestTar, type TestEntry } from './layer-test-tar';
import { exec, execRaw } from './exec';

const skip = process.getuid?.() !== 0 ? 'needs root (owners, device nodes, overlay)' : undefined;

interface Sandbox {
  dir: string;
  root: string;
  /** Unpacks `entries` into root (which must not exist yet). */
  unpack(entries: TestEntry[], options?: Parameters<typeof extractLayer>[2]): ReturnType<typeof extractLayer>;
  assertCanariesIntact(): Promise<void>;
}

async function sandbox(fn: (s: Sandbox) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-extract-'));
  try {
    await writeFile(join(dir, 'canary'), 'canary\n');
    await mkdir(join(dir, 'outside'));
    const root = join(dir, 'root');
    await fn({
      dir,
      root,
      unpack: (entries, options) => {
        writeTestTar(join(dir, 'layer.tar'), entries);
        return extractLayer(join(dir, 'layer.tar'), root, options);
      },
      async assertCanariesIntact() {
        assert.equal(await readFile(join(dir, 'canary'), 'utf8'), 'canary\n');
        assert.deepEqual(await readdir(join(dir, 'outside')), []);
        const top = (await readdir(dir)).filter((n) => !['canary', 'outside', 'root', 'layer.tar'].includes(n));
        assert.deepEqual(top, [], 'nothing written next to the root');
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const refused = { code: 'unsafe_archive' };

describe('hostile layer archives', { skip }, () => {
  test('absolute paths and .. are refused, and nothing is left behind', () =>
    sandbox(async (s) => {
      await assert.rejects(s.unpack([{ name: join(s.dir, 'canary'), data: 'pwned' }]), refused);
      await assert.rejects(s.unpack([{ name: '../canary', data: 'pwned' }]), refused);
      await assert.rejects(s.unpack([{ name: 'a/../../canary', data: 'pwned' }]), refused);
      await s.assertCanariesIntact();
      assert.ok(!(await readdir(s.dir)).includes('root'), 'no half-unpacked root');
    }));

  test('a symlink (relative or absolute) and then a write through it is refused', () =>
    sandbox(async (s) => {
      await assert.rejects(s.unpack([{ name: 'up', type: '2', linkName: '..' }, { name: 'up/canary', data: 'pwned' }]), refused);
      await assert.rejects(
        s.unpack([{ name: 'abs', type: '2', linkName: join(s.dir, 'outside') }, { name: 'abs/new', data: 'pwned' }]),
        refused,
      );
      await s.assertCanariesIntact();
    }));

  test('a file entry replaces a symlink of the same name instead of writing through it', () =>
    sandbox(async (s) => {
      await s.unpack([{ name: 'link', type: '2', linkName: '../canary' }, { name: 'link', data: 'mine' }]);
      assert.ok((await lstat(join(s.root, 'link'))).isFile());
      assert.equal(await readFile(join(s.root, 'link'), 'utf8'), 'mine');
      await s.assertCanariesIntact();
    }));

  test('hard links out of the root are refused; a hard link to a symlink does not follow it', () =>
    sandbox(async (s) => {
      await assert.rejects(s.unpack([{ name: 'h', type: '1', linkName: '../canary' }]), refused);
      await assert.rejects(s.unpack([{ name: 'h', type: '1', linkName: join(s.dir, 'canary') }]), refused);
      await assert.rejects(
        s.unpack([{ name: 'l', type: '2', linkName: '..' }, { name: 'h', type: '1', linkName: 'l/canary' }]),
        refused,
      );
      await s.unpack([{ name: 's', type: '2', linkName: '../canary' }, { name: 'h', type: '1', linkName: 's' }, { name: 'h', data: 'x' }]);
      await s.assertCanariesIntact();
    }));

  test('a directory swapped for a symlink cannot be written through', () =>
    sandbox(async (s) => {
      await assert.rejects(
        s.unpack([
          { name: 'd/', type: '5' },
          { name: 'd/ok', data: 'fine' },
          { name: 'd', type: '2', linkName: '../outside' },
          { name: 'd/evil', data: 'pwned' },
        ]),
        refused,
      );
      await s.assertCanariesIntact();
    }));

  test('backslash, unicode and case-colliding names stay literal names inside the root', () =>
    sandbox(async (s) => {
      const names = ['a\\..\\..\\canary', '..\\canary', 'caf\u00e9', 'cafe\u0301', 'Foo', 'foo', 'FOO'];
      await s.unpack(names.map((name) => ({ name, data: name })));
      assert.deepEqual((await readdir(s.root)).sort(), [...names].sort());
      for (const n of names) assert.equal(await readFile(join(s.root, n), 'utf8'), n);
      await s.assertCanariesIntact();
    }));

  test('app layers lose device nodes and setuid/setgid bits; the trusted stack layer keeps them', () =>
    sandbox(async (s) => {
      const entries: TestEntry[] = [
        { name: 'dev/', type: '5' },
        { name: 'dev/mem', type: '3', devMajor: 1, devMinor: 1, mode: 0o666 },
        { name: 'dev/sda', type: '4', devMajor: 8, devMinor: 0, mode: 0o660 },
        { name: 'suid', data: '#!/bin/sh\n', mode: 0o4755 },
        { name: 'sgid', data: '#!/bin/sh\n', mode: 0o2755, gid: 42 },
        { name: 'tmp/', type: '5', mode: 0o1777 },
      ];
      const stats = await s.unpack(entries);
      assert.deepEqual(await readdir(join(s.root, 'dev')), []);
      assert.equal((await stat(join(s.root, 'suid'))).mode & 0o7777, 0o755);
      assert.equal((await stat(join(s.root, 'sgid'))).mode & 0o7777, 0o755);
      assert.equal((await stat(join(s.root, 'sgid'))).gid, 42);
      assert.equal((await stat(join(s.root, 'tmp'))).mode & 0o7777, 0o1777, 'sticky bit kept');
      assert.equal(stats.stripped.length, 4);
      await rm(s.root, { recursive: true });
      await s.unpack(entries, { trusted: true });
      const mem = await stat(join(s.root, 'dev/mem'));
      assert.ok(mem.isCharacterDevice());
      assert.equal(mem.rdev, (1 << 8) | 1);
      assert.ok((await stat(join(s.root, 'dev/sda'))).isBlockDevice());
      assert.equal((await stat(join(s.root, 'suid'))).mode & 0o7777, 0o4755);
    }));

  test('more entries or bytes than the limits are refused (10,000 files, 1 GiB by default)', () =>
    sandbox(async (s) => {
      const many: TestEntry[] = Array.from({ length: 10_001 }, (_, i) => ({ name: `f${i}` }));
      const t0 = Date.now();
      await assert.rejects(s.unpack(many), { code: 'archive_too_large' });
      const tManyMs = Date.now() - t0;
      await assert.rejects(s.unpack([{ name: 'big', declaredSize: 1024 ** 3 + 1 }]), { code: 'archive_too_large' });
      await assert.rejects(s.unpack([{ name: 'a', data: 'x'.repeat(600) }, { name: 'b', data: 'y'.repeat(600) }], { maxBytes: 1000 }), {
        code: 'archive_too_large',
      });
      await assert.rejects(s.unpack([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { maxFiles: 2 }), { code: 'archive_too_large' });
      await s.unpack(many.slice(0, 10_000));
      assert.equal((await readdir(s.root)).length, 10_000);
      await s.assertCanariesIntact();
      assert.ok(tManyMs < 60_000);
    }));

  test('OCI whiteouts become overlayfs whiteouts that hide the lower layer', () =>
    sandbox(async (s) => {
      const lower = join(s.dir, 'lower');
      await mkdir(join(lower, 'dir'), { recursive: true });
      await writeFile(join(lower, 'gone'), 'old');
      await writeFile(join(lower, 'kept'), 'old');
      await writeFile(join(lower, 'dir/old'), 'old');
      await s.unpack([{ name: '.wh.gone' }, { name: 'dir/', type: '5' }, { name: 'dir/.wh..wh..opq' }, { name: 'dir/new', data: 'new' }]);
      const wh = await stat(join(s.root, 'gone'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'char device 0/0');
      assert.match(await exec('getfattr', ['--absolute-names', '-n', 'trusted.overlay.opaque', join(s.root, 'dir')]), /="y"/);
      const merged = join(s.dir, 'merged');
      await mkdir(merged);
      await exec('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${s.root}:${lower}`, merged]);
      try {
        assert.deepEqual((await readdir(merged)).sort(), ['dir', 'kept']);
        assert.deepEqual(await readdir(join(merged, 'dir')), ['new']);
      } finally {
        await execRaw('umount', [merged]);
      }
      await rm(join(s.dir, 'lower'), { recursive: true });
      await rm(merged, { recursive: true });
      await assert.rejects(s.unpack([{ name: 'x/.wh...' }]), refused);
    }));
});
