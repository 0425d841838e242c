/** The buildpacks that ship with paas, without the network: listing, procfile, undetectable. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { NoBuildpackDetectedError } from './errors';
import { buildDirs, containerLikeExecutor, LogCapture, repoRoot, stackPath, startServer, tempDir } from './fixtures';
import { runBuildpacks } from './runner';
import { shippedBuildpacks } from './shipped';

test('shippedBuildpacks lists nodejs, static then procfile with executable bin/ scripts', () => {
  const shipped = shippedBuildpacks();
  assert.deepEqual(shipped.map((bp) => bp.name), ['nodejs', 'static', 'procfile']);
  for (const bp of shipped) {
    assert.equal(bp.dir, path.join(repoRoot, 'buildpacks', bp.name));
    for (const step of ['detect', 'compile', 'release']) fs.accessSync(path.join(bp.dir, 'bin', step), fs.constants.X_OK);
  }
  assert.throws(() => shippedBuildpacks('/nonexistent'), /buildpack "nodejs" is missing/);
});

test('shell-hello builds with the procfile buildpack and its web process answers', async (t) => {
  const root = tempDir(t);
  const dirs = buildDirs(root, 'shell-hello');
  const output = new LogCapture();
  const result = await runBuildpacks({
    executor: containerLikeExecutor(path.join(root, 'home')),
    ...dirs,
    output,
    env: { PATH: stackPath(root) },
  });

  assert.deepEqual(result, {
    buildpacks: [{ name: 'procfile', detected: 'Procfile' }],
    processTypes: { web: './bin/server' },
    configVars: {},
  });
  assert.equal(
    output.text(),
    [
      '-----> Procfile app detected',
      "       Nothing to compile: the Procfile's commands run the app as it is",
      '-----> Discovering process types',
      '       Procfile declares types -> web',
      '',
    ].join('\n'),
  );

  const server = await startServer(t, [path.join(dirs.buildDir, 'bin', 'server')], { cwd: dirs.buildDir, ready: /listening/ });
  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'Hello from shell-hello\n');
});

test('undetectable is rejected with Heroku\'s no-language error', async (t) => {
  const root = tempDir(t);
  const output = new LogCapture();
  const err = await runBuildpacks({
    executor: containerLikeExecutor(path.join(root, 'home')),
    ...buildDirs(root, 'undetectable'),
    output,
  }).catch((e: unknown) => e);
  assert.ok(err instanceof NoBuildpackDetectedError);
  assert.match(output.text(), /^ ! {5}No default language could be detected for this app\.\n ! {5}HINT: .*package\.json.*Procfile.*\.buildpacks/);
});
