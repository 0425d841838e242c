/**
 * T5, the router's retry semantics, against real sockets on loopback: a connect that
 * fails is retried on another backend; a request that reached a backend never is.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../shared';
import { dialBackend } from './backend-dial';
import { createProxyServer } from './proxy';
import { RouteTable } from './table';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A port nothing listens on: connects to it are refused. */
async function refusingPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

function send(port: number, host: string, method = 'GET', body?: string, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method, path: '/', headers: { host }, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('router retry semantics (T5)', () => {
  const table = new RouteTable();
  let proxy: http.Server;
  let proxyPort: number;
  let good: http.Server;
  let goodPort: number;
  let goodHits = 0;
  const resetters: net.Server[] = [];
  let resetHits = 0;

  before(async () => {
    good = http.createServer((req, res) => {
      goodHits++;
      req.resume().on('end', () => res.end('ok'));
    });
    goodPort = await listen(good);
    proxy = createProxyServer(table, silentLogger);
    proxyPort = await listen(proxy);
  });
  after(async () => {
    await new Promise((r) => proxy.close(r));
    good.closeAllConnections();
    await new Promise((r) => good.close(r));
    for (const s of resetters) await new Promise((r) => s.close(r));
  });

  test('a refusing backend next to a good one: every request gets 200, served by the good one', async () => {
    const refused = await refusingPort();
    table.set({
      app: 'half',
      domains: ['half.paas.test'],
      backends: [
        { id: 'dead', ip: '127.0.0.1', port: refused },
        { id: 'good', ip: '127.0.0.1', port: goodPort },
      ],
    });
    goodHits = 0;
    let connections = 0;
    good.on('connection', () => connections++);
    const client = new http.Agent({ keepAlive: true });
    for (let i = 0; i < 6; i++) {
      const res = await send(proxyPort, 'half.paas.test', 'POST', 'payload', client);
      assert.equal(res.status, 200, `request ${i}: ${res.body}`);
    }
    assert.equal(goodHits, 6);
    // The connection the router dialed is the one the request used, then kept alive for the next ones.
    assert.equal(connections, 1);
    client.destroy();
  });

  test('every backend refusing: at most 4 dials, then a 502 page', async () => {
    const ports = await Promise.all([1, 2, 3, 4, 5].map(() => refusingPort()));
    let dials = 0;
    const backends = ports.map((port, i) => ({ id: `d${i}`, ip: '127.0.0.1', port }));
    let cursor = 0;
    const result = await dialBackend(() => {
      dials++;
      return backends[cursor++ % backends.length];
    });
    assert.ok(!('backend' in result));
    assert.equal(result.failures.length, 4);
    assert.equal(dials, 4);
    table.set({ app: 'gone', domains: ['gone.paas.test'], backends });
    const res = await send(proxyPort, 'gone.paas.test');
    assert.equal(res.status, 502);
  });

  test('accept-then-reset: a POST reaches exactly one backend and gets 502, never retried', async () => {
    const backends = [];
    for (let i = 0; i < 2; i++) {
      const s = net.createServer((socket) => {
        // Reset once the request's first bytes arrive: the backend saw the request.
        socket.once('data', () => {
          resetHits++;
          socket.resetAndDestroy();
        });
        socket.on('error', () => undefined);
      });
      resetters.push(s);
      backends.push({ id: `r${i}`, ip: '127.0.0.1', port: await listen(s) });
    }
    table.set({ app: 'reset', domains: ['reset.paas.test'], backends });
    resetHits = 0;
    const res = await send(proxyPort, 'reset.paas.test', 'POST', 'charge the card once');
    assert.ok(res.status === 502 || res.status === 503, `status ${res.status}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(resetHits, 1);
  });
});
