/**
 * The router on several cores: two worker processes sharing one port, each a whole
 * router fed by a real controller API over HTTP (a small stand-in serving /routes) and
 * a real NATS. A route change reaches every worker, an unroute is answered by every
 * worker only once it dropped the backend, a killed worker is replaced, and close()
 * leaves no process behind.
 */
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { ControllerClient, type Route } from '../controller';
import { silentLogger, subjects } from '../shared';
import type { RunningRouter } from './start';
import { startRouterWorkers } from './workers';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const HOST = 'w.paas.test';
const codec = JSONCodec();

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

/** A new connection per request, so the kernel may hand each to either worker. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host: HOST } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      })
      .on('error', reject);
  });
}

function getTls(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: '/', agent: false, servername: HOST, rejectUnauthorized: false, headers: { host: HOST } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
      })
      .on('error', reject);
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('router workers', () => {
  let nc: NatsConnection;
  let api: http.Server;
  const routes = new Map<string, Route>();
  const backends: { name: string; port: number; hits: number; server: http.Server }[] = [];
  let router: RunningRouter;
  const routerIds = new Set<string>();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-router-workers-'));

  before(async () => {
    nc = await connect({ servers: NATS_URL });
    const hb = nc.subscribe(subjects.routerHeartbeat.name);
    void (async () => {
      for await (const m of hb) routerIds.add((codec.decode(m.data) as { routerId: string }).routerId);
    })();
    for (const name of ['A', 'B']) {
      const b = { name, port: 0, hits: 0, server: http.createServer((_req, res) => (b.hits++, res.end(name))) };
      b.port = await listen(b.server);
      backends.push(b);
    }
    routes.set('w', { app: 'w', domains: [HOST], backends: [{ id: 'job-A', ip: '127.0.0.1', port: backends[0].port }] });
    api = http.createServer((req, res) => {
      const app = /^\/routes\/(.+)$/.exec(req.url ?? '')?.[1];
      const body = req.url === '/router/tls' ? { certificates: [], force_https: [] } : req.url === '/routes' ? [...routes.values()] : (routes.get(app ?? '') ?? { app, domains: [], backends: [] });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    });
    const apiUrl = `http://127.0.0.1:${await listen(api)}`;
    router = await startRouterWorkers({
      client: new ControllerClient(apiUrl),
      log: silentLogger,
      port: 0,
      httpsPort: 0,
      dataDir,
      domain: 'paas.test',
      bindAddress: '127.0.0.1',
      reloadMs: 60_000,
      workers: { count: 2, controllerUrl: apiUrl, natsUrl: NATS_URL, logLevel: 'error' },
    });
    await Promise.all([router.ready, router.tlsReady]);
  });

  after(async () => {
    await router?.close();
    await nc?.close();
    for (const s of [api, ...backends.map((b) => b.server)]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('two workers serve one port (and one HTTPS port), each announcing itself as a router', async () => {
    assert.equal(Object.keys(cluster.workers ?? {}).length, 2);
    for (let i = 0; i < 20; i++) assert.equal(await get(router.port), '200 A');
    assert.ok(router.httpsPort);
    for (let i = 0; i < 6; i++) assert.equal(await getTls(router.httpsPort), '200 A');
    await until('a heartbeat from each worker', () => routerIds.size >= 2);
  });

  test('a route change published on NATS reaches every worker', async () => {
    routes.set('w', { app: 'w', domains: [HOST], backends: [{ id: 'job-B', ip: '127.0.0.1', port: backends[1].port }] });
    nc.publish(subjects.routesChanged.name, codec.encode({ app: 'w' }));
    // 30 answers in a row from B, over new connections that either worker may take.
    let streak = 0;
    await until('every worker serving B', async () => ((await get(router.port)) === '200 B' ? ++streak >= 30 : ((streak = 0), false)));
  });

  test('unroute is answered by each worker only after it dropped the backend', async () => {
    routes.set('w', {
      app: 'w',
      domains: [HOST],
      backends: [
        { id: 'job-A', ip: '127.0.0.1', port: backends[0].port },
        { id: 'job-B', ip: '127.0.0.1', port: backends[1].port },
      ],
    });
    nc.publish(subjects.routesChanged.name, codec.encode({ app: 'w' }));
    await until('the two-backend route in every worker', async () => (await get(router.port)) === '200 A');
    // The controller still lists job-B (as during a deploy); the workers must keep it out anyway.
    // Other routers on this NATS may heartbeat too (and some may be gone): ours are among those that answer.
    const replies = await Promise.allSettled([...routerIds].map((id) => nc.request(subjects.routerUnroute.name(id), codec.encode({ jobIds: ['job-B'] }), { timeout: 3_000 })));
    assert.ok(replies.filter((r) => r.status === 'fulfilled').length >= 2);
    const before = backends[1].hits;
    for (let i = 0; i < 30; i++) assert.equal(await get(router.port), '200 A');
    assert.equal(backends[1].hits, before);
  });

  test('a worker that dies is replaced, and the port keeps serving meanwhile', async () => {
    const [first] = Object.values(cluster.workers ?? {});
    assert.ok(first);
    const gone = new Promise((r) => first.once('exit', r));
    first.process.kill('SIGKILL');
    await gone;
    for (let i = 0; i < 10; i++) assert.equal(await get(router.port), '200 A');
    await until('a replacement worker', () => Object.values(cluster.workers ?? {}).filter((w) => w && w.isConnected()).length === 2, 10_000);
  });

  test('close() stops every worker and frees the port', async () => {
    const port = router.port;
    await router.close();
    assert.equal(Object.keys(cluster.workers ?? {}).length, 0);
    await assert.rejects(get(port), /ECONNREFUSED/);
  });
});
