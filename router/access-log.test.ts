/**
 * Router log lines: Heroku's format, and published on the app's log stream over real
 * NATS for successes and each failure the router can name (H10, H12, H14, H27).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect, JSONCodec, type NatsConnection, type Subscription } from 'nats';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger, subjects, type AppLogLine } from '../shared';
import { formatLine, natsLogSink } from './access-log';
import { createProxyServer } from './proxy';
import { RouteTable } from './table';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

test('formats a line as Heroku\'s router does, quoting what may hold spaces', () => {
  const base = { method: 'GET', path: '/a b"c', host: 'hello.paas.test', requestId: 'r-1', fwd: '10.0.0.9', dyno: 'web.1', connectMs: 1.4, serviceMs: 12.2, status: 200, bytes: 13, protocol: 'http' };
  assert.equal(
    formatLine({ at: 'info', ...base }),
    'at=info method=GET path="/a b\\"c" host=hello.paas.test request_id=r-1 fwd="10.0.0.9" dyno=web.1 connect=1ms service=12ms status=200 bytes=13 protocol=http',
  );
  assert.match(formatLine({ at: 'error', code: 'H12', ...base, status: 503 }), /^at=error code=H12 desc="Request timeout" method=GET .* status=503 /);
});

describe('router log lines on the app\'s log stream', () => {
  const app = `log${crypto.randomBytes(4).toString('hex')}`;
  const host = `${app}.paas.test`;
  const table = new RouteTable();
  const lines: AppLogLine[] = [];
  let nc: NatsConnection;
  let sub: Subscription;
  let backend: http.Server;
  let backendPort: number;
  let proxy: http.Server;
  let port: number;

  before(async () => {
    nc = await connect({ servers: NATS_URL });
    const codec = JSONCodec<AppLogLine>();
    sub = nc.subscribe(subjects.appLog.name(app));
    void (async () => {
      for await (const m of sub) lines.push(codec.decode(m.data));
    })();
    backend = http.createServer((req, res) => {
      if (req.url === '/silent') return;
      if (req.url === '/reset') return req.socket.destroy();
      if (req.url === '/upload-reset') return req.once('data', () => req.socket.destroy());
      if (req.url === '/endless') {
        res.writeHead(200);
        res.write('x');
        return;
      }
      res.end('ok');
    });
    const wss = new WebSocketServer({ noServer: true });
    backend.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (d) => ws.send(d))));
    backendPort = await listen(backend);
    proxy = createProxyServer(table, silentLogger, { hardening: { timeouts: { responseMs: 300 }, logSink: natsLogSink(nc, 'h1', silentLogger) } });
    port = await listen(proxy);
  });
  after(async () => {
    sub.unsubscribe();
    await nc.close();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const request = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.get({ port, host: '127.0.0.1', path, headers: { host, 'x-request-id': `req-${path.slice(1)}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });

  /** The line for the request with this id, once it arrived. */
  const lineFor = async (id: string): Promise<AppLogLine> => {
    for (let i = 0; i < 100; i++) {
      const l = lines.find((x) => x.line.includes(`request_id=${id} `));
      if (l) return l;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no router log line for ${id}; got ${JSON.stringify(lines.map((l) => l.line))}`);
  };

  test('a served request: at=info with the dyno, timings, status and bytes', async () => {
    table.set({ app, domains: [host], backends: [{ id: 'job-1', ip: '127.0.0.1', port: backendPort, dyno: 'web.1' }] });
    assert.equal(await request('/ok'), 200);
    const l = await lineFor('req-ok');
    assert.equal(l.source, 'paas');
    assert.equal(l.dyno, 'router');
    assert.equal(l.app, app);
    assert.match(l.line, new RegExp(`^at=info method=GET path="/ok" host=${host} request_id=req-ok fwd="127.0.0.1" dyno=web.1 connect=\\d+ms service=\\d+ms status=200 bytes=2 protocol=http$`));
  });

  test('a WebSocket: one line with status 101 once the tunnel closes', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host, 'x-request-id': 'req-ws' } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await new Promise((resolve) => {
      ws.once('message', resolve);
      ws.send('hi');
    });
    ws.close();
    assert.match((await lineFor('req-ws')).line, /^at=info method=GET path="\/ws" .* dyno=web\.1 .* status=101 /);
  });

  test('a backend too slow to answer: at=error code=H12, status 503', async () => {
    assert.equal(await request('/silent'), 503);
    assert.match((await lineFor('req-silent')).line, /^at=error code=H12 desc="Request timeout" method=GET path="\/silent" .* dyno=web\.1 .* status=503 /);
  });

  test('a backend that closes without answering: H13; one that closes mid-upload: H18', async () => {
    assert.equal(await request('/reset'), 502);
    assert.match((await lineFor('req-reset')).line, /^at=error code=H13 desc="Connection closed without response" .* status=502 /);
    await new Promise<void>((resolve) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/upload-reset', headers: { host, 'x-request-id': 'req-upload-reset' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => resolve());
      req.write('first part');
      // The rest never comes: the backend closes after the first part.
    });
    assert.match((await lineFor('req-upload-reset')).line, /^at=error code=H18 desc="Server Request Interrupted" .* status=502 /);
  });

  test('a client that leaves mid-response: H27, status 499', async () => {
    await new Promise<void>((resolve) => {
      const req = http.get({ port, host: '127.0.0.1', path: '/endless', headers: { host, 'x-request-id': 'req-endless' } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
    });
    assert.match((await lineFor('req-endless')).line, /^at=error code=H27 desc="Client Request Interrupted" .* status=499 /);
  });

  test('no web process: H14; no backend accepting connections: H10', async () => {
    table.set({ app, domains: [host], backends: [] });
    assert.equal(await request('/none'), 503);
    assert.match((await lineFor('req-none')).line, /^at=error code=H14 desc="No web processes running" .* dyno=none .* status=503 /);
    const dead = http.createServer();
    const deadPort = await listen(dead);
    await new Promise((r) => dead.close(r));
    table.set({ app, domains: [host], backends: [{ id: 'job-2', ip: '127.0.0.1', port: deadPort, dyno: 'web.2' }] });
    assert.equal(await request('/dead'), 502);
    assert.match((await lineFor('req-dead')).line, /^at=error code=H10 desc="App crashed" .* status=502 /);
  });
});
