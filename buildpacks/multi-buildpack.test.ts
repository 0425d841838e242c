/**
 * test/apps/multi-buildpack: `.buildpacks` lists nodejs and a buildpack inside the app, which uses
 * the node that nodejs exported. Real registry (through a recording proxy), host executor.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { buildDirs, containerLikeExecutor, LogCapture, recordingRegistry, stackPath, startServer, tempDir } from './fixtures';
import { runBuildpacks } from './runner';

test('multi-buildpack runs nodejs then its own buildpack with the exported PATH', { timeout: 300_000 }, async (t) => {
  const root = tempDir(t);
  const registry = await recordingRegistry(t);
  const dirs = buildDirs(root, 'multi-buildpack');
  const output = new LogCapture();
  const result = await runBuildpacks({
    executor: containerLikeExecutor(path.join(root, 'home')),
    ...dirs,
    output,
    env: { PATH: stackPath(root), NPM_CONFIG_REGISTRY: registry.url },
  });
  const text = output.text();

  assert.deepEqual(result.buildpacks, [
    { name: 'nodejs', detected: 'Node.js' },
    { name: 'build-info', detected: 'Build info', source: './buildpacks/build-info' },
  ]);
  assert.deepEqual(result.processTypes, { web: 'npm start', info: 'cat build-info.json' });
  assert.match(text, /^-----> Using buildpacks:\n {7}1\. nodejs\n {7}2\. \.\/buildpacks\/build-info\n-----> Node\.js app detected\n/);
  const nodeBin = path.join(dirs.buildDir, '.heroku', 'node', 'bin', 'node');
  assert.ok(text.includes(`-----> Build info app detected\n-----> Writing build-info.json\n       using ${nodeBin} (v20.`), text);
  const info = JSON.parse(fs.readFileSync(path.join(dirs.buildDir, 'build-info.json'), 'utf8')) as { builtWith: string; nodeHome: string };
  assert.match(info.builtWith, /^v20\.\d+\.\d+$/);
  assert.equal(info.nodeHome, path.join(dirs.buildDir, '.heroku', 'node'));

  const server = await startServer(t, [nodeBin, 'server.js'], { cwd: dirs.buildDir, ready: /listening/ });
  assert.deepEqual(await (await fetch(server.url)).json(), { app: 'multi-buildpack', ...info });
});
