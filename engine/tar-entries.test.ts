import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile, symlink, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTarEntries, readTarEntries } from './tar-entries';
import { extractLayer, tarDirectory } from './layer-archive';
import { exec } from './exec';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-tar-test-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('lists entries of a tar made by tarDirectory, long names included', () =>
  withTmp(async (dir) => {
    const src = join(dir, 'src');
    const long = 'd'.repeat(120);
    await mkdir(join(src, long), { recursive: true });
    await writeFile(join(src, long, 'f.txt'), 'x');
    await symlink('/etc/passwd', join(src, 'abs-link'));
    const { hex } = await tarDirectory(src, join(dir, 'a.tar'));
    const again = await tarDirectory(src, join(dir, 'b.tar'));
    assert.equal(hex, again.hex, 'same directory, same diff id');
    const entries = await readTarEntries(join(dir, 'a.tar'));
    const names = entries.map((e) => e.name);
    assert.ok(names.includes(`./${long}/f.txt`), names.join(','));
    const link = entries.find((e) => e.name === './abs-link');
    assert.equal(link?.type, '2');
    assert.equal(link?.linkName, '/etc/passwd');
    assert.doesNotThrow(() => checkTarEntries(entries), 'absolute symlink targets are fine');
    await extractLayer(join(dir, 'a.tar'), join(dir, 'out'));
    assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['abs-link', long].sort());
  }));

test('refuses absolute paths and .. in entries and hard links', () => {
  assert.throws(() => checkTarEntries([{ name: '/etc/passwd', type: '0', linkName: '', size: 1 }]), { code: 'unsafe_archive' });
  assert.throws(() => checkTarEntries([{ name: 'a/../../x', type: '0', linkName: '', size: 1 }]), { code: 'unsafe_archive' });
  assert.throws(() => checkTarEntries([{ name: 'ok', type: '1', linkName: '../../etc/shadow', size: 0 }]), { code: 'unsafe_archive' });
  assert.doesNotThrow(() => checkTarEntries([{ name: './a/b..c', type: '0', linkName: '', size: 0 }]));
});

test('extractLayer refuses a tar with absolute member names and leaves nothing behind', () =>
  withTmp(async (dir) => {
    await writeFile(join(dir, 'evil.txt'), 'x');
    // -P keeps the leading '/' in member names.
    await exec('tar', ['-cPf', join(dir, 'evil.tar'), join(dir, 'evil.txt')]);
    await assert.rejects(extractLayer(join(dir, 'evil.tar'), join(dir, 'out')), { code: 'unsafe_archive' });
    assert.ok(!(await readdir(dir)).includes('out'));
  }));
