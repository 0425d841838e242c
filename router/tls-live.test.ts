/**
 * HTTPS end to end with the real controller (SQLite) and a nats-server of its own: a
 * certificate added with the API is served by a running router within moments, through
 * the certs.changed event alone (the periodic reload is set far out), and so are the
 * redirect setting and a removal.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { ControllerClient } from '../controller';
import { startTestController, type TestController } from '../controller/test-fixture';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { silentLogger } from '../shared';
import { freePort } from '../test/helpers/ports';
import { startRouter, type RunningRouter } from './start';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-tls-live-'));

function presentedNames(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().subjectaltname ?? '');
      s.end();
    });
    s.on('error', reject);
  });
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const status = (port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    http.get({ port, host: '127.0.0.1', path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });

describe('router HTTPS with the controller and NATS', () => {
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let t: TestController;
  let router: RunningRouter;
  let dev: ControllerClient;

  before(async () => {
    nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
    nc = await connect({ servers: nats.url });
    t = await startTestController('sqlite', { nc });
    dev = await t.user('dev@example.com');
    await dev.createApp('shop');
    await dev.request('POST', '/apps/shop/domains', { hostname: 'www.example.com' });
    router = await startRouter({ client: t.system, nc, log: silentLogger, port: 0, httpsPort: 0, bindAddress: '127.0.0.1', dataDir: dir, domain: 'paas.test', reloadMs: 600_000 });
    await router.ready;
    await router.tlsReady;
  });
  after(async () => {
    await router?.close();
    await t?.close();
    await nc?.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('certs:add, the redirect and certs:remove reach a running router by event', async () => {
    const port = router.httpsPort ?? 0;
    assert.equal(await presentedNames(port, 'www.example.com'), 'DNS:*.paas.test, DNS:paas.test');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'www.key', '-out', 'www.crt', '-days', '30',
      '-subj', '/CN=www.example.com', '-addext', 'subjectAltName=DNS:www.example.com'], { cwd: dir, stdio: 'ignore' });
    const cert = await dev.addCert('shop', { certificate_chain: fs.readFileSync(path.join(dir, 'www.crt'), 'utf8'), private_key: fs.readFileSync(path.join(dir, 'www.key'), 'utf8') });
    await eventually('the certificate', async () => (await presentedNames(port, 'www.example.com')) === 'DNS:www.example.com');
    assert.equal(await status(router.port, 'www.example.com'), 503, 'no web process yet, and no redirect');
    await dev.setForceHttps('shop', true);
    await eventually('the redirect', async () => (await status(router.port, 'www.example.com')) === 301);
    await dev.removeCert('shop', cert.name);
    await eventually('the default certificate', async () => (await presentedNames(port, 'www.example.com')) === 'DNS:*.paas.test, DNS:paas.test');
  });
});
