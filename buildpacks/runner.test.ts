/** The runner against small bash buildpacks written per test, run on the host. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  BuildpackFetchError,
  BuildpackNotCompatibleError,
  BuildpackReleaseError,
  CompileFailedError,
  NoBuildpackDetectedError,
  ProcfileError,
  UnknownBuildpackError,
} from './errors';
import { buildDirs, containerLikeExecutor, LogCapture, makeBuildpack, tempDir } from './fixtures';
import { runBuildpacks } from './runner';
import type { BuildpackRef } from './types';

/** A buildpack that detects when FILE exists and records its compile in BUILD_DIR/compiled. */
function filePack(root: string, name: string, file: string, release = '--- {}') {
  return makeBuildpack(root, name, {
    detect: `if [[ -f "$1/${file}" ]]; then echo "${name} detected-name"; exit 0; fi; exit 1`,
    compile: `echo "       compiling ${name}"; echo ${name} >> "$1/compiled"`,
    release: `cat <<'YAML'\n${release}\nYAML`,
  });
}

function setup(t: TestContext) {
  const root = tempDir(t);
  const dirs = buildDirs(root);
  const output = new LogCapture();
  const executor = containerLikeExecutor(path.join(root, 'home'));
  const run = (buildpacks: BuildpackRef[], extra: { use?: string[]; env?: Record<string, string> } = {}) =>
    runBuildpacks({ executor, ...dirs, buildpacks, output, ...extra });
  const write = (file: string, text: string) => fs.writeFileSync(path.join(dirs.buildDir, file), text);
  const compiled = () => {
    const file = path.join(dirs.buildDir, 'compiled');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  return { root, dirs, output, run, write, compiled };
}

test('detection runs in order and the first buildpack that detects is the only one used', async (t) => {
  const { root, output, run, write, compiled } = setup(t);
  const packs = [filePack(root, 'alpha', 'alpha.txt'), filePack(root, 'beta', 'common.txt'), filePack(root, 'gamma', 'common.txt')];
  write('common.txt', '');

  const result = await run(packs);

  assert.deepEqual(result.buildpacks, [{ name: 'beta', detected: 'beta detected-name' }]);
  assert.deepEqual(compiled(), ['beta']);
  assert.match(output.text(), /^-----> beta detected-name app detected\n {7}compiling beta\n/);
  assert.ok(output.writable, 'the runner must not end the build log');
});

test('no buildpack detecting the app is a clear, typed error in Heroku grammar', async (t) => {
  const { root, output, run } = setup(t);
  const err = await run([filePack(root, 'alpha', 'alpha.txt')]).catch((e: unknown) => e);

  assert.ok(err instanceof NoBuildpackDetectedError);
  assert.equal(err.code, 'no_buildpack_detected');
  assert.equal(err.reported, true);
  assert.equal(
    output.text(),
    ' !     No default language could be detected for this app.\n' +
      ' !     HINT: add a package.json (Node.js) or a Procfile to the app, or list buildpacks in a .buildpacks file.\n',
  );
});

test('.buildpacks runs every listed buildpack in order, sourcing each export before the next compile', async (t) => {
  const { root, dirs, output, run, write } = setup(t);
  const first = makeBuildpack(root, 'first', {
    detect: 'echo First',
    compile: [
      'BP_DIR=$(cd "$(dirname "$0")/.." && pwd)',
      `printf 'export FROM_FIRST=%q\\n' "value with spaces \\$HOME" > "$BP_DIR/export"`,
      'echo "$BP_DIR" > "$1/first-bp-dir"',
    ].join('\n'),
    release: "printf '%s\\n' 'default_process_types:' '  web: first-web' '  worker: first-worker' 'config_vars:' '  A: \"1\"'",
  });
  const second = makeBuildpack(root, 'second', {
    detect: 'echo Second',
    compile: 'echo "$FROM_FIRST" > "$1/seen-by-second"; echo "$3" > "$1/env-dir"',
    release: "printf '%s\\n' '---' 'default_process_types:' '  web: second-web' 'config_vars:' '  B: two' '  A: 3'",
  });
  const unused = filePack(root, 'unused', 'nothing');
  write('.buildpacks', '# in order\nfirst\n\nheroku/second\n');
  write('Procfile', 'worker: procfile-worker\n');

  const result = await run([unused, first, second]);

  assert.deepEqual(result.buildpacks, [
    { name: 'first', detected: 'First' },
    { name: 'second', detected: 'Second' },
  ]);
  assert.equal(fs.readFileSync(path.join(dirs.buildDir, 'seen-by-second'), 'utf8'), 'value with spaces $HOME\n');
  assert.equal(fs.readFileSync(path.join(dirs.buildDir, 'env-dir'), 'utf8').trim(), dirs.envDir);
  // release merging: later buildpacks override earlier ones, the Procfile overrides both.
  assert.deepEqual(result.processTypes, { web: 'second-web', worker: 'procfile-worker' });
  assert.deepEqual(result.configVars, { A: '3', B: 'two' });
  // export was written to a scratch copy (buildpack dirs are read-only in production), then removed.
  assert.equal(fs.existsSync(path.join(first.dir, 'export')), false);
  const copy = fs.readFileSync(path.join(dirs.buildDir, 'first-bp-dir'), 'utf8').trim();
  assert.notEqual(copy, first.dir);
  assert.equal(fs.existsSync(copy), false, 'the scratch dir is removed after the build');
  assert.equal(
    output.text(),
    [
      '-----> Using buildpacks:',
      '       1. first',
      '       2. second',
      '-----> First app detected',
      '-----> Second app detected',
      '-----> Discovering process types',
      '       Procfile declares types -> worker',
      '       Default types for buildpack -> web, worker',
      '',
    ].join('\n'),
  );
});

test('an explicit list beats .buildpacks; its buildpacks must still detect', async (t) => {
  const { root, run, write, compiled } = setup(t);
  const packs = [filePack(root, 'alpha', 'alpha.txt'), filePack(root, 'beta', 'beta.txt')];
  write('.buildpacks', 'alpha\n');
  write('beta.txt', '');

  const result = await run(packs, { use: ['beta'] });
  assert.deepEqual(result.buildpacks.map((b) => b.name), ['beta']);
  assert.deepEqual(compiled(), ['beta']);

  const err = await run(packs, { use: ['beta', 'alpha'] }).catch((e: unknown) => e);
  assert.ok(err instanceof BuildpackNotCompatibleError);
  assert.equal(err.message, 'App not compatible with buildpack: alpha');
});

test('an unknown name in .buildpacks lists the available buildpacks', async (t) => {
  const { root, output, run, write } = setup(t);
  write('.buildpacks', 'heroku/ruby\n');
  const err = await run([filePack(root, 'alpha', 'a')]).catch((e: unknown) => e);
  assert.ok(err instanceof UnknownBuildpackError);
  assert.match(output.text(), /^ ! {5}Unknown buildpack "heroku\/ruby"\. Available buildpacks: alpha\.\n$/);
});

test('a URL in .buildpacks is refused when the caller gives no fetch hook', async (t) => {
  const { root, output, run, write } = setup(t);
  write('.buildpacks', 'https://github.com/heroku/heroku-buildpack-ruby\n');
  const err = await run([filePack(root, 'alpha', 'a')]).catch((e: unknown) => e);
  assert.ok(err instanceof BuildpackFetchError);
  assert.match(output.text(), /^ ! {5}Buildpack https:\/\/github\.com\/heroku\/heroku-buildpack-ruby cannot be used: this paas runs only the buildpacks it ships\.\n ! {5}HINT: /);
});

test('a failing compile streams its output and rejects the push', async (t) => {
  const { root, run, output, write } = setup(t);
  const broken = makeBuildpack(root, 'broken', {
    detect: 'echo Broken',
    compile: 'echo "-----> Doing things"; echo "       step one"; echo "oops" >&2; exit 7',
  });
  write('x', '');
  const err = await run([broken]).catch((e: unknown) => e);

  assert.ok(err instanceof CompileFailedError);
  assert.equal(err.code, 'buildpack_compile_failed');
  assert.equal(err.exitCode, 7);
  assert.equal(err.buildpack, 'broken');
  const log = output.text();
  assert.match(log, /-----> Broken app detected\n-----> Doing things\n {7}step one\n/);
  assert.match(log, /oops\n/);
  assert.ok(log.endsWith(' !     Push rejected, failed to compile Broken app.\n'));
});

test('a broken Procfile fails before any compile, naming the line', async (t) => {
  const { root, run, output, write, compiled } = setup(t);
  write('Procfile', 'web: ok\n\nthis line is wrong\n');
  const err = await run([filePack(root, 'alpha', 'Procfile')]).catch((e: unknown) => e);

  assert.ok(err instanceof ProcfileError);
  assert.equal(err.line, 3);
  assert.deepEqual(compiled(), []);
  assert.equal(output.text(), ' !     Procfile line 3: expected "name: command", got "this line is wrong"\n');
});

test('invalid bin/release output is an error naming the buildpack', async (t) => {
  const { root, run, write } = setup(t);
  write('a', '');
  const err = await run([filePack(root, 'alpha', 'a', 'default_process_types: [web]')]).catch((e: unknown) => e);
  assert.ok(err instanceof BuildpackReleaseError);
  assert.equal(err.message, 'Buildpack alpha: bin/release default_process_types must be a mapping');
});

test('steps get the caller env and STACK; config vars stay in ENV_DIR', async (t) => {
  const { root, dirs, run, write } = setup(t);
  fs.writeFileSync(path.join(dirs.envDir, 'SECRET'), 'from env dir');
  const pack = makeBuildpack(root, 'envy', {
    detect: 'echo Envy',
    compile: 'printf "%s|%s|%s|%s" "$STACK" "$NPM_CONFIG_REGISTRY" "${SECRET:-unset}" "$(<"$3/SECRET")" > "$1/seen"',
  });
  write('a', '');
  await run([pack], { env: { NPM_CONFIG_REGISTRY: 'http://mirror.invalid' } });
  assert.equal(
    fs.readFileSync(path.join(dirs.buildDir, 'seen'), 'utf8'),
    'paas-bookworm|http://mirror.invalid|unset|from env dir',
  );
});
