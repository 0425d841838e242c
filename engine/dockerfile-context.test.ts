import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextRelative, globSegmentRegExp, hashSources, resolveSources } from './dockerfile-context';
import { DockerfileError } from './errors';

describe('build context', () => {
  let root: string;
  let ctx: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'paas-ctx-test-'));
    ctx = join(root, 'ctx');
    await mkdir(join(ctx, 'src/lib'), { recursive: true });
    await writeFile(join(ctx, 'a.txt'), 'a');
    await writeFile(join(ctx, 'b.txt'), 'b');
    await writeFile(join(ctx, 'src/lib/x.js'), 'x');
    await writeFile(join(root, 'secret'), 'outside');
    await symlink(join(root, 'secret'), join(ctx, 'leak'));
    await symlink('../..', join(ctx, 'src/up'));
    await symlink('a.txt', join(ctx, 'alias'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('globs match per segment, sorted', async () => {
    const got = await resolveSources(ctx, ['*.txt', 'src/*/x.js', './src']);
    assert.deepEqual(got.map((s) => [s.rel, s.isDir]), [['a.txt', false], ['b.txt', false], ['src/lib/x.js', false], ['src', true]]);
    assert.ok(globSegmentRegExp('[a-b]?.t*').test('a1.txt'));
    assert.ok(!globSegmentRegExp('[!a]*').test('abc'));
  });

  test('a symlink inside the context is followed, keeping its own name', async () => {
    const [s] = await resolveSources(ctx, ['alias']);
    assert.equal(s!.name, 'alias');
    assert.equal(s!.abs, join(ctx, 'a.txt'));
  });

  test('refuses ../, symlinks out of the context and missing files', async () => {
    assert.throws(() => contextRelative('../x'), /outside the build context/);
    assert.throws(() => contextRelative('a/../../x'), DockerfileError);
    assert.equal(contextRelative('/a/./b/'), 'a/b');
    await assert.rejects(resolveSources(ctx, ['leak']), /outside the build context/);
    await assert.rejects(resolveSources(ctx, ['src/up/secret']), /outside the build context/);
    await assert.rejects(resolveSources(ctx, ['src/up/*']), /outside the build context/);
    await assert.rejects(resolveSources(ctx, ['nope.txt']), /no such file/);
    await assert.rejects(resolveSources(ctx, ['*.nope']), /no source files/);
  });

  test('the hash changes with a file content or mode, not with nothing', async () => {
    const sources = await resolveSources(ctx, ['src', 'a.txt']);
    const h1 = await hashSources(sources);
    assert.equal(await hashSources(sources), h1);
    await writeFile(join(ctx, 'src/lib/x.js'), 'y');
    const h2 = await hashSources(sources);
    assert.notEqual(h2, h1);
    await chmod(join(ctx, 'a.txt'), 0o755);
    assert.notEqual(await hashSources(sources), h2);
  });
});
