/**
 * The shipped buildpacks through a real `paas up` (embedded mode, its own bridge): a static site
 * and a Node.js app installed with yarn are pushed with git, built in containers of the stack,
 * and requested through the router.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { eventually, loginAsAdmin, newSettings, newUser, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A GET through the router with the app's Host header, answering headers too (the helper's request has only the body). */
function get(port: number, host: string, urlPath = '/', headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host, ...headers }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('shipped buildpacks through git push and the router', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  const apps = ['site', 'yarn'];
  const host = (app: string): string => `${app}.${settings.domain}`;

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasb6', PAAS_BRIDGE_CIDR: '10.239.0.1/16' });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
  });

  after(async () => {
    if (user && paas) {
      for (const app of apps) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const push = (app: string, sample: string): string => {
    const repo = sampleRepo(user, sample);
    const create = user.paas(['apps:create', app], repo);
    assert.equal(create.status, 0, create.stderr);
    const result = user.git(['push', 'paas', 'main'], repo);
    assert.equal(result.status, 0, result.stderr + '\n' + paas.output().slice(-4000));
    return result.stderr;
  };

  test('static-site is served by the static buildpack with caching headers and clean URLs', async () => {
    const log = push('site', 'static-site');
    // git pads remote: lines with spaces, so each line is matched on its own.
    assert.match(log, /remote: -----> Static site app detected/);
    assert.match(log, /remote: {8}Root: public/);
    assert.match(log, /remote: {8}Default types for buildpack -> web/);
    assert.match(log, /remote: {8}Released v1/);

    const home = await eventually('the static site to answer', async () => {
      const r = await get(settings.routerPort, host('site'));
      return r.status === 200 ? r : undefined;
    });
    assert.match(home.body, /Hello from static-site/);
    assert.equal(home.headers['cache-control'], 'no-cache');
    const etag = String(home.headers.etag);
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal((await get(settings.routerPort, host('site'), '/', { 'if-none-match': etag })).status, 304);
    assert.match((await get(settings.routerPort, host('site'), '/about')).body, /About static-site/);
    const asset = await get(settings.routerPort, host('site'), '/assets/app.3f2a9c1b.css');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    const missing = await get(settings.routerPort, host('site'), '/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /static-site: page not found/);
  });

  test('node-yarn is installed with yarn classic and answers', async () => {
    const log = push('yarn', 'node-yarn');
    assert.match(log, /remote: {8}Installed node v20\.\d+\.\d+ and yarn 1\.22\.22 \(from yarn\.lock\)/);
    assert.match(log, /remote: {8}Running yarn install --frozen-lockfile/);
    assert.match(log, /remote: {8}Released v1/);
    const res = await eventually('the yarn app to answer', async () => {
      const r = await get(settings.routerPort, host('yarn'));
      return r.status === 200 ? r : undefined;
    });
    assert.equal(res.body, 'Hello from node-yarn (one hour is 3600000 ms)\n');
  });
});
