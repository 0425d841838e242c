/**
 * The nodejs buildpack with yarn, pnpm and a build script, against the real npm registry (through
 * a recording proxy), run on the host with only the stack's tools on PATH. All builds share one
 * cache, as the builds of one app do, so the bootstrap node is downloaded once.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CompileFailedError } from './errors';
import { buildDirs, containerLikeExecutor, LogCapture, recordingRegistry, stackPath, startServer, tempDir } from './fixtures';
import { runBuildpacks } from './runner';

test('nodejs installs with yarn, pnpm or npm by lockfile, runs build scripts and prunes', { timeout: 900_000 }, async (t) => {
  const root = tempDir(t);
  const registry = await recordingRegistry(t);
  const executor = containerLikeExecutor(path.join(root, 'home'));
  const env = { PATH: stackPath(root), NPM_CONFIG_REGISTRY: registry.url };
  const cacheDir = path.join(root, 'cache');
  fs.mkdirSync(cacheDir);
  const build = async (name: string, app: string, edit?: (dir: string) => void) => {
    const dirs = { ...buildDirs(path.join(root, name), app), cacheDir };
    edit?.(dirs.buildDir);
    const log = new LogCapture();
    const seen = registry.requests.length;
    const result = await runBuildpacks({ executor, ...dirs, output: log, env }).catch((err: unknown) => ({ err }));
    return { dirs, result, text: log.text(), requests: registry.requests.slice(seen) };
  };
  const node = (dir: string) => path.join(dir, '.heroku', 'node', 'bin', 'node');

  await t.test('yarn.lock: yarn classic, pinned, from the registry, then from the cache', async () => {
    const first = await build('yarn1', 'node-yarn');
    assert.ok(!('err' in first.result), first.text);
    assert.match(first.text, / {7}Downloading yarn 1\.22\.22\n/);
    assert.match(first.text, / {7}Installed node v20\.\d+\.\d+ and yarn 1\.22\.22 \(from yarn\.lock\)\n/);
    assert.match(first.text, /-----> Installing dependencies\n {7}Running yarn install --frozen-lockfile/);
    assert.match(first.text, /-----> Build\n {7}No build script in package\.json\n-----> Pruning devDependencies\n/);
    assert.ok(first.requests.includes('/yarn/-/yarn-1.22.22.tgz'));
    assert.ok(fs.existsSync(path.join(first.dirs.buildDir, 'node_modules', 'ms', 'package.json')));
    assert.ok(fs.existsSync(path.join(cacheDir, 'nodejs', 'yarn-cache')), 'the yarn cache is kept in CACHE_DIR');
    const server = await startServer(t, [node(first.dirs.buildDir), 'server.js'], { cwd: first.dirs.buildDir, ready: /listening/ });
    assert.equal(await (await fetch(server.url)).text(), 'Hello from node-yarn (one hour is 3600000 ms)\n');

    const second = await build('yarn2', 'node-yarn');
    assert.ok(!('err' in second.result), second.text);
    assert.match(second.text, / {7}Using cached yarn 1\.22\.22\n/);
    assert.deepEqual(second.requests.filter((p) => p.endsWith('.tgz')), [], 'a rebuild downloads no tarball');
  });

  await t.test('pnpm-lock.yaml with packageManager pnpm@9.15.9 and engines.npm', async () => {
    const first = await build('pnpm', 'node-pnpm');
    assert.ok(!('err' in first.result), first.text);
    assert.match(first.text, / {7}engines\.npm \(package\.json\): 10\.8\.x\n {7}Resolved npm version: 10\.8\.\d+\n {7}Downloading npm 10\.8\.\d+\n/);
    assert.match(first.text, / {7}Installed node v20\.\d+\.\d+ and pnpm 9\.15\.9 \(from packageManager\)\n/);
    assert.match(first.text, /Running pnpm install --frozen-lockfile/);
    assert.match(
      fs.readFileSync(path.join(first.dirs.buildDir, '.heroku', 'node', 'lib', 'node_modules', 'npm', 'package.json'), 'utf8'),
      /"version": "10\.8\.\d+"/,
    );
    assert.ok(fs.existsSync(path.join(cacheDir, 'nodejs', 'pnpm-store')), 'the pnpm store is kept in CACHE_DIR');
    const server = await startServer(t, [node(first.dirs.buildDir), 'server.js'], { cwd: first.dirs.buildDir, ready: /listening/ });
    assert.equal(await (await fetch(server.url)).text(), 'Hello from node-pnpm (one hour is 3600000 ms)\n');

    // corepack's +sha512.HEX of the tarball is checked, also when the version comes from the cache.
    const withHash = (hex: string) => (dir: string) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, packageManager: `pnpm@9.15.9+sha512.${hex}` }));
    };
    const pinned = '68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531';
    const good = await build('pnpm-hash', 'node-pnpm', withHash(pinned));
    assert.ok(!('err' in good.result), good.text);
    assert.match(good.text, / {7}Using cached pnpm 9\.15\.9\n/);
    const bad = await build('pnpm-badhash', 'node-pnpm', withHash('ab'.repeat(64)));
    assert.ok('err' in bad.result && bad.result.err instanceof CompileFailedError, bad.text);
    assert.match(bad.text, / ! {5}packageManager's sha512 for pnpm@9\.15\.9 does not match the package in the registry\n/);

    // packageManager npm@X.Y.Z picks npm itself, exactly.
    const npmPinned = await build('npm-pinned', 'node-hello', (dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, packageManager: 'npm@10.8.3' }));
    });
    assert.ok(!('err' in npmPinned.result), npmPinned.text);
    assert.match(npmPinned.text, / {7}packageManager \(package\.json\): npm@10\.8\.3\n {7}Resolved npm version: 10\.8\.3\n/);
    assert.match(npmPinned.text, / {7}Installed node v20\.\d+\.\d+ and npm 10\.8\.3 \(from packageManager\)\n/);
  });

  await t.test('a build script runs with devDependencies, which are pruned afterwards', async () => {
    const first = await build('build', 'node-build');
    assert.ok(!('err' in first.result), first.text);
    assert.match(first.text, /-----> Build\n {7}Running build\n[^]*node-build: wrote dist\/index\.html\n-----> Pruning devDependencies\n[^]* {7}Pruned devDependencies\n/);
    assert.equal(fs.existsSync(path.join(first.dirs.buildDir, 'node_modules', 'escape-html')), false, 'devDependencies pruned');
    assert.equal(fs.existsSync(path.join(first.dirs.buildDir, '.npm')), false, 'npm caches and logs in CACHE_DIR, not in the slug');
    const server = await startServer(t, [node(first.dirs.buildDir), 'server.js'], { cwd: first.dirs.buildDir, ready: /listening/ });
    assert.equal(
      await (await fetch(server.url)).text(),
      '<h1>Built by &lt;node-build&gt; &amp; served</h1>\n<p>devDependencies pruned: true; one minute is 60000 ms</p>\n',
    );

    // heroku-postbuild wins over build, as on Heroku.
    const postbuild = await build('postbuild', 'node-build', (dir) => {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      pkg.scripts['heroku-postbuild'] = 'echo postbuild ran';
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
    });
    assert.match(postbuild.text, / {7}Running heroku-postbuild\n[^]* {7}postbuild ran\n/);
    assert.doesNotMatch(postbuild.text, /node-build: wrote/);
  });

  await t.test('a failing build script and conflicting lockfiles reject the push', async () => {
    const failing = await build('failing', 'node-build', (dir) => fs.writeFileSync(path.join(dir, 'build.js'), 'process.exit(3)\n'));
    assert.ok('err' in failing.result && failing.result.err instanceof CompileFailedError, failing.text);
    assert.match(failing.text, / ! {5}npm run failed\n ! {5}Push rejected, failed to compile Node\.js app\.\n$/);

    const both = await build('both', 'node-yarn', (dir) => fs.writeFileSync(path.join(dir, 'package-lock.json'), '{}'));
    assert.ok('err' in both.result && both.result.err instanceof CompileFailedError, both.text);
    assert.match(both.text, / ! {5}Two different lockfiles found: yarn\.lock package-lock\.json\n/);
  });
});
