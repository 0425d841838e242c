/**
 * Third-party buildpacks: a bare git repository made by the test, fetched by file:// URL (branch,
 * tag, commit) or used by path, then run by the runner with the host executor.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BuildpackFetchError } from './errors';
import { createBuildpackFetcher } from './fetch';
import { buildDirs, containerLikeExecutor, LogCapture, stackPath, tempDir } from './fixtures';
import { runBuildpacks } from './runner';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' }).trim();

/** A buildpack repository whose compile writes its version into the app; v1 is tagged, then v2 is committed. */
function makeRepo(root: string): { bare: string; v1: string; v2: string } {
  const src = path.join(root, 'src', 'paas-buildpack-hello');
  fs.mkdirSync(path.join(src, 'bin'), { recursive: true });
  const write = (version: string) => {
    const bins = {
      detect: 'echo "Hello"',
      compile: `echo "-----> Saying hello ${version}"; echo "${version}" > "$1/hello.txt"; echo "export HELLO_VERSION=${version}" > "$(dirname "$0")/../export"`,
      release: `printf -- '---\\ndefault_process_types:\\n  web: cat hello.txt\\n'`,
    };
    for (const [step, body] of Object.entries(bins)) {
      fs.writeFileSync(path.join(src, 'bin', step), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`, { mode: 0o755 });
    }
    git(src, 'add', '-A');
    git(src, 'commit', '-qm', version);
    return git(src, 'rev-parse', 'HEAD');
  };
  git(root, 'init', '-q', '-b', 'main', src);
  const v1 = write('v1');
  git(src, 'tag', 'v1');
  const v2 = write('v2');
  const bare = path.join(root, 'repos', 'paas-buildpack-hello.git');
  git(root, 'clone', '-q', '--bare', src, bare);
  return { bare, v1, v2 };
}

test('a buildpack by file:// URL is cloned into the cache and runs like a shipped one', async (t) => {
  const root = tempDir(t);
  const { bare, v1, v2 } = makeRepo(root);
  const cacheDir = path.join(root, 'bp-cache');
  const fetchBuildpack = createBuildpackFetcher({ cacheDir, allowedRoots: [path.join(root, 'repos')] });
  const executor = containerLikeExecutor(path.join(root, 'home'));
  const PATH = stackPath(root);

  const run = async (name: string, buildpacksFile: string) => {
    const dirs = buildDirs(path.join(root, name));
    fs.writeFileSync(path.join(dirs.buildDir, '.buildpacks'), buildpacksFile);
    const output = new LogCapture();
    const result = await runBuildpacks({ executor, ...dirs, output, env: { PATH }, fetchBuildpack });
    return { dirs, result, text: output.text() };
  };

  const url = `file://${bare}`;
  const main = await run('main', `${url}\n`);
  assert.deepEqual(main.result.buildpacks, [{ name: 'paas-buildpack-hello', detected: 'Hello', source: url, version: v2 }]);
  assert.deepEqual(main.result.processTypes, { web: 'cat hello.txt' });
  assert.equal(fs.readFileSync(path.join(main.dirs.buildDir, 'hello.txt'), 'utf8'), 'v2\n');
  assert.equal(
    main.text,
    [
      `-----> Fetching buildpack ${url}`,
      `       paas-buildpack-hello at ${v2}`,
      '-----> Using buildpacks:',
      `       1. ${url}`,
      '-----> Hello app detected',
      '-----> Saying hello v2',
      '-----> Discovering process types',
      '       Procfile declares types -> (none)',
      '       Default types for buildpack -> web',
      '',
    ].join('\n'),
  );
  const cached = path.join(cacheDir, fs.readdirSync(cacheDir)[0], v2);
  assert.ok(fs.existsSync(path.join(cached, 'bin', 'compile')), 'cloned into <cache>/<key>/<commit>');
  assert.equal(fs.existsSync(path.join(cached, '.git')), false, 'without its git metadata');
  assert.equal(fs.existsSync(path.join(cached, 'export')), false, 'the runner writes export into its copy, not the cache');

  const tag = await run('tag', `${url}#v1\n`);
  assert.equal(fs.readFileSync(path.join(tag.dirs.buildDir, 'hello.txt'), 'utf8'), 'v1\n');
  assert.equal(tag.result.buildpacks[0].version, v1);
  const commit = await run('commit', `${url}#${v1}\n`);
  assert.equal(fs.readFileSync(path.join(commit.dirs.buildDir, 'hello.txt'), 'utf8'), 'v1\n');

  // With a shipped buildpack after it, which sees its export.
  const checker = path.join(root, 'repos', 'checker');
  fs.mkdirSync(path.join(checker, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(checker, 'bin', 'detect'), '#!/bin/sh\necho Checker\n', { mode: 0o755 });
  fs.writeFileSync(path.join(checker, 'bin', 'compile'), '#!/bin/sh\necho "       HELLO_VERSION=$HELLO_VERSION"\n', { mode: 0o755 });
  const two = await run('two', `${url}\n${checker}\n`);
  assert.match(two.text, /-----> Checker app detected\n {7}HELLO_VERSION=v2\n/);
  assert.deepEqual(two.result.buildpacks[1], { name: 'checker', detected: 'Checker', source: checker });
});

test('the fetcher refuses what it must not fetch, with messages that say why', async (t) => {
  const root = tempDir(t);
  const { bare } = makeRepo(root);
  const fetchBuildpack = createBuildpackFetcher({ cacheDir: path.join(root, 'bp-cache'), allowedRoots: [path.join(root, 'repos')] });
  const refused = async (reference: string, message: RegExp) => {
    await assert.rejects(fetchBuildpack(reference), (err: Error) => {
      assert.ok(err instanceof BuildpackFetchError, String(err));
      assert.match(err.message, message);
      return true;
    });
  };
  await refused(`file://${path.join(root, 'src', 'paas-buildpack-hello')}`, /is not in a directory the operator allows buildpacks from/);
  await refused('/etc', /is not in a directory the operator allows buildpacks from/);
  await refused(`${path.join(root, 'repos')}/../src/paas-buildpack-hello`, /is not in a directory the operator allows/);
  await refused('http://example.com/x.git', /only https:\/\/ and git:\/\/ URLs can be fetched/);
  await refused('ext::sh -c touch% /tmp/pwned', /only https:\/\/ and git:\/\/ URLs can be fetched/);
  await refused(`file://${bare}#--upload-pack=touch`, /is not a branch, tag or commit name/);
  await refused(`file://${bare}#nope`, /Could not fetch buildpack file:\/\/.*: .*nope/);
  fs.mkdirSync(path.join(root, 'repos', 'empty'));
  await refused(path.join(root, 'repos', 'empty'), /has no bin\/detect: it is not a buildpack/);
  await refused(path.join(root, 'repos', 'missing'), /no such directory on the paas host/);
  const noRoots = createBuildpackFetcher({ cacheDir: path.join(root, 'bp-cache') });
  await assert.rejects(noRoots(`file://${bare}`), /not in a directory the operator allows/);
});
