/**
 * The runtime layer's identity (treeDigest): the same content gives the same digest whatever
 * the mtimes (each build writes the runtime anew), and any change a layer would carry (bytes,
 * mode, a symlink's target, a new file) gives another one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { treeDigest } from './slug-layers';

function runtime(root: string): string {
  fs.mkdirSync(path.join(root, 'app', '.heroku', 'node', 'bin'), { recursive: true });
  fs.writeFileSync(path.join(root, 'app', '.heroku', 'node', 'bin', 'node'), 'ELF pretend node\n', { mode: 0o755 });
  fs.symlinkSync('node', path.join(root, 'app', '.heroku', 'node', 'bin', 'nodejs'));
  return root;
}

test('treeDigest ignores mtimes and sees content, modes, symlink targets and new files', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-slug-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const a = runtime(path.join(tmp, 'a'));
  const b = runtime(path.join(tmp, 'b'));
  const node = (root: string) => path.join(root, 'app', '.heroku', 'node', 'bin', 'node');
  fs.utimesSync(node(b), new Date('2001-01-01'), new Date('2001-01-01'));
  const base = await treeDigest(a);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(await treeDigest(b), base, 'same content, other mtimes: same layer');

  fs.writeFileSync(node(b), 'ELF pretend nodf\n');
  assert.notEqual(await treeDigest(b), base, 'other bytes of the same size');
  fs.writeFileSync(node(b), 'ELF pretend node\n');
  assert.equal(await treeDigest(b), base);

  fs.chmodSync(node(b), 0o700);
  assert.notEqual(await treeDigest(b), base, 'another mode');
  fs.chmodSync(node(b), 0o755);

  const link = path.join(b, 'app', '.heroku', 'node', 'bin', 'nodejs');
  fs.unlinkSync(link);
  fs.symlinkSync('/etc/passwd', link);
  assert.notEqual(await treeDigest(b), base, 'another symlink target (never followed)');
  fs.unlinkSync(link);
  fs.symlinkSync('node', link);
  assert.equal(await treeDigest(b), base);

  fs.writeFileSync(path.join(b, 'app', '.heroku', 'extra'), '');
  assert.notEqual(await treeDigest(b), base, 'a new empty file');
});
