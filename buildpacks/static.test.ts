/**
 * The static buildpack: detection, static.json checks at compile time, and its perl server
 * answering with caching headers, clean URLs and the 404 page (no network needed).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { test } from 'node:test';
import { CompileFailedError } from './errors';
import { buildDirs, containerLikeExecutor, LogCapture, repoRoot, stackPath, startServer, tempDir } from './fixtures';
import { runBuildpacks } from './runner';

const detect = (dir: string) => spawnSync(path.join(repoRoot, 'buildpacks', 'static', 'bin', 'detect'), [dir], { encoding: 'utf8' });

/** A raw request, so the test sees exactly what the server sends (fetch would follow redirects). */
async function raw(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(request));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

test('static detects static.json, or index.html without package.json', (t) => {
  const root = tempDir(t);
  assert.equal(detect(path.join(repoRoot, 'test', 'apps', 'static-site')).stdout, 'Static site\n');
  fs.writeFileSync(path.join(root, 'index.html'), '<h1>hi</h1>');
  assert.equal(detect(root).status, 0);
  fs.writeFileSync(path.join(root, 'package.json'), '{}');
  assert.equal(detect(root).status, 1, 'a package.json makes it a Node.js app');
  fs.writeFileSync(path.join(root, 'static.json'), '{}');
  assert.equal(detect(root).status, 0, 'static.json says static, package.json or not');
  assert.equal(detect(path.join(repoRoot, 'test', 'apps', 'shell-hello')).status, 1);
});

test('static-site builds and its server answers with caching headers, clean URLs and a 404 page', async (t) => {
  const root = tempDir(t);
  const dirs = buildDirs(root, 'static-site');
  // A symlink out of the root must not serve what it points at.
  fs.writeFileSync(path.join(root, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(root, 'secret.txt'), path.join(dirs.buildDir, 'public', 'leak.txt'));
  const PATH = stackPath(root);
  const output = new LogCapture();
  const result = await runBuildpacks({ executor: containerLikeExecutor(path.join(root, 'home')), ...dirs, output, env: { PATH } });

  assert.deepEqual(result, {
    buildpacks: [{ name: 'static', detected: 'Static site' }],
    processTypes: { web: 'perl .paas/static/server.pl' },
    configVars: {},
  });
  assert.match(
    output.text(),
    /^-----> Static site app detected\n-----> Checking the site\n {7}Root: public\n {7}Clean URLs: on\n {7}Error page: 404\.html\n-----> Installing the static server\n {7}perl v5\.\d+\.\d+, \.paas\/static\/server\.pl\n-----> Discovering process types\n {7}Procfile declares types -> \(none\)\n {7}Default types for buildpack -> web\n$/,
  );

  const server = await startServer(t, ['perl', '.paas/static/server.pl'], { cwd: dirs.buildDir, ready: /listening/, env: { PATH } });
  const home = await fetch(server.url);
  assert.equal(home.status, 200);
  assert.equal(home.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(home.headers.get('cache-control'), 'no-cache');
  assert.match(await home.text(), /<h1>Hello from static-site<\/h1>/);
  const etag = home.headers.get('etag') ?? '';
  const lastModified = home.headers.get('last-modified') ?? '';
  assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.equal(lastModified, new Date(fs.statSync(path.join(dirs.buildDir, 'public', 'index.html')).mtimeMs).toUTCString());

  assert.equal((await fetch(server.url, { headers: { 'if-none-match': etag } })).status, 304);
  assert.equal((await fetch(server.url, { headers: { 'if-modified-since': lastModified } })).status, 304);
  assert.equal((await fetch(server.url, { headers: { 'if-none-match': '"other"' } })).status, 200);

  const css = await fetch(new URL('/assets/app.3f2a9c1b.css', server.url));
  assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'hashed assets are immutable');
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const robots = await fetch(new URL('/robots.txt', server.url));
  assert.equal(robots.headers.get('cache-control'), 'public, max-age=3600');

  assert.match(await (await fetch(new URL('/about', server.url))).text(), /About static-site/);
  assert.match(await raw(server.url, 'GET /about.html?x=1 HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 301 Moved Permanently\r\n[^]*Location: \/about\?x=1\r\n/);
  assert.match(await raw(server.url, 'GET /docs HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 301 [^]*Location: \/docs\/\r\n/);
  assert.match(await (await fetch(new URL('/docs/', server.url))).text(), /static-site docs/);

  for (const bad of ['/nope', '/.paas/static/server.pl', '/leak.txt', '/%2e%2e/static.json', '/../static.json']) {
    const res = await raw(server.url, `GET ${bad} HTTP/1.1\r\nHost: a\r\n\r\n`);
    assert.match(res, /^HTTP\/1\.1 404 Not Found\r\n/, bad);
    assert.match(res, /static-site: page not found/, bad);
    assert.doesNotMatch(res, /secret|use strict|"root"/, bad);
  }
  const head = await raw(server.url, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: \d+\r\n[^]*\r\n\r\n$/);
  assert.match(await raw(server.url, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'), /^HTTP\/1\.1 405 [^]*Allow: GET, HEAD\r\n/);
  assert.match(server.log(), /GET \/nope 404\n/);
});

test('clean URLs can be turned off, and a bad static.json fails the compile with the reason', async (t) => {
  const root = tempDir(t);
  const PATH = stackPath(root);
  const run = async (name: string, staticJson: string) => {
    const dirs = buildDirs(path.join(root, name), 'static-site');
    fs.writeFileSync(path.join(dirs.buildDir, 'static.json'), staticJson);
    const output = new LogCapture();
    const result = await runBuildpacks({ executor: containerLikeExecutor(path.join(root, 'home')), ...dirs, output, env: { PATH } }).catch((e: unknown) => e);
    return { dirs, result, text: output.text() };
  };

  const plain = await run('plain', '{"root": "public", "clean_urls": false}');
  assert.match(plain.text, / {7}Clean URLs: off\n {7}Error page: 404\.html\n/);
  const server = await startServer(t, ['perl', '.paas/static/server.pl'], { cwd: plain.dirs.buildDir, ready: /listening/, env: { PATH } });
  assert.equal((await fetch(new URL('/about', server.url))).status, 404);
  assert.equal((await fetch(new URL('/about.html', server.url))).status, 200);

  const cases: [string, RegExp][] = [
    ['{"root": "public",}', /static\.json is not valid JSON/],
    ['{"root": "../.."}', /root "\.\.\/\.\." must stay inside the app/],
    ['{"root": "missing"}', /the site's root "missing" is not a directory/],
    ['{"clean_urls": "yes"}', /clean_urls must be true or false/],
    ['{"routes": {}}', /unknown key "routes"/],
  ];
  for (const [i, [json, reason]] of cases.entries()) {
    const bad = await run(`bad${i}`, json);
    assert.ok(bad.result instanceof CompileFailedError, bad.text);
    assert.match(bad.text, reason);
    assert.match(bad.text, / ! {5}Push rejected, failed to compile Static site app\.\n$/);
  }
});
