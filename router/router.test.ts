/**
 * The router against real HTTP: a backend server on loopback, the proxy in front, the
 * route table fed the way the controller feeds it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../shared';
import { createProxyServer } from './proxy';
import { normalizeHost, RouteTable } from './table';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function get(port: number, host: string, path = '/'): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('route table', () => {
  test('matches hosts exactly, case- and port-insensitively, never by prefix or suffix', () => {
    const t = new RouteTable();
    t.set({ app: 'hello', domains: ['hello.paas.test'], backends: [{ id: 'a', ip: '10.0.0.2', port: 5000 }] });
    assert.equal(t.lookup('hello.paas.test')?.app, 'hello');
    assert.equal(t.lookup('HELLO.paas.test:8080')?.app, 'hello');
    assert.equal(t.lookup('hello.paas.test.')?.app, 'hello');
    for (const h of ['evil-hello.paas.test', 'hello.paas.test.evil.com', 'hello', 'ello.paas.test', '', undefined]) {
      assert.equal(t.lookup(h), undefined, String(h));
    }
    assert.equal(normalizeHost('[::1]:80'), '[::1]');
  });

  test('a wildcard domain matches one level below it, and an exact name wins', () => {
    const t = new RouteTable();
    t.set({ app: 'shop', domains: ['*.shop.example.com'], backends: [] });
    t.set({ app: 'admin', domains: ['admin.shop.example.com'], backends: [] });
    assert.equal(t.lookup('eu.shop.example.com')?.app, 'shop');
    assert.equal(t.lookup('admin.shop.example.com')?.app, 'admin');
    assert.equal(t.lookup('shop.example.com'), undefined);
    assert.equal(t.lookup('a.b.shop.example.com'), undefined);
    assert.equal(t.lookup('evilshop.example.com'), undefined);
  });

  test('round-robins over backends and forgets removed apps', () => {
    const t = new RouteTable();
    t.set({ app: 'a', domains: ['a.x'], backends: [1, 2, 3].map((n) => ({ id: `j${n}`, ip: '10.0.0.1', port: n })) });
    const entry = t.lookup('a.x');
    assert.ok(entry);
    assert.deepEqual([1, 2, 3, 4].map(() => t.pick(entry)?.port), [1, 2, 3, 1]);
    t.replace([]);
    assert.equal(t.lookup('a.x'), undefined);
  });
});

describe('proxy', () => {
  let backend: http.Server;
  let backendPort: number;
  let proxy: http.Server;
  let proxyPort: number;
  const table = new RouteTable();
  const seen: http.IncomingHttpHeaders[] = [];

  before(async () => {
    backend = http.createServer((req, res) => {
      seen.push(req.headers);
      res.end(`backend saw ${req.url}`);
    });
    backendPort = await listen(backend);
    proxy = createProxyServer(table, silentLogger);
    proxyPort = await listen(proxy);
  });
  after(async () => {
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  test('unknown host: 404 page; app without web processes: 503 page', async () => {
    table.set({ app: 'idle', domains: ['idle.paas.test'], backends: [] });
    const unknown = await get(proxyPort, 'nope.paas.test');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body, /No such app/);
    const idle = await get(proxyPort, 'idle.paas.test');
    assert.equal(idle.status, 503);
    assert.match(idle.body, /no running web processes/);
  });

  test('proxies to the backend with X-Forwarded-* and a request id', async () => {
    table.set({ app: 'hello', domains: ['hello.paas.test'], backends: [{ id: 'j', ip: '127.0.0.1', port: backendPort }] });
    const res = await get(proxyPort, 'hello.paas.test', '/path?q=1');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'backend saw /path?q=1');
    const h = seen.at(-1) ?? {};
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['x-request-id'], h['x-request-id']);
  });

  test('a backend that refuses connections gives a 502 page, and the router stays up', async () => {
    const dead = http.createServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    table.set({ app: 'down', domains: ['down.paas.test'], backends: [{ id: 'j', ip: '127.0.0.1', port: deadPort }] });
    const res = await get(proxyPort, 'down.paas.test');
    assert.equal(res.status, 502);
    assert.equal((await get(proxyPort, 'hello.paas.test')).status, 200);
  });
});
