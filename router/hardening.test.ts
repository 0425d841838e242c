/**
 * RELIABILITY.md T6 (timeouts, slow clients), T7 (client-abort storm) and T8 (parsing and header hygiene) against
 * a real backend on loopback, with raw sockets where a well-behaved client would not
 * send what is being tested. Timeouts are configured short so the tests run fast.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { startChildRouter, type ChildRouter } from '../test/helpers/child-router';
import { loadConfig, silentLogger } from '../shared';
import { createProxyServer } from './proxy';
import { RouteTable } from './table';
import { DEFAULT_TIMEOUTS, routerTimeouts } from './timeouts';

const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** Sends raw bytes, returns everything the router sent back until it closed (or `waitMs` passed). */
function raw(port: number, data: string | string[], waitMs = 1_500, gapMs = 0): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    s.setEncoding('latin1').on('data', (d: string) => (text += d));
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      clearTimeout(timer);
      clearInterval(drip);
      resolve({ text, closed, ms: Date.now() - started });
    });
    const parts = Array.isArray(data) ? [...data] : [data];
    const drip = setInterval(() => {
      const p = parts.shift();
      if (p === undefined) return clearInterval(drip);
      if (!s.destroyed) s.write(p, 'latin1');
    }, gapMs || 1);
    const timer = setTimeout(() => {
      clearInterval(drip);
      s.destroy();
      resolve({ text, closed, ms: Date.now() - started });
    }, waitMs);
  });
}

describe('router timeouts (T6)', () => {
  const table = new RouteTable();
  let backend: http.Server;
  let proxy: http.Server;
  let port: number;

  before(async () => {
    backend = http.createServer((req, res) => {
      if (req.url === '/silent') return; // never answers
      if (req.url === '/stall') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first\n'); // then nothing, for ever
        return;
      }
      if (req.url === '/slow-stream') {
        res.writeHead(200);
        let n = 0;
        const t = setInterval(() => {
          res.write(`${n}\n`);
          if (++n === 8) {
            clearInterval(t);
            res.end();
          }
        }, 100);
        return;
      }
      res.end('ok');
    });
    const backendPort = await listen(backend);
    table.set({ app: 'app', domains: ['app.example.com'], backends: [{ id: 'j1', ip: '127.0.0.1', port: backendPort }] });
    proxy = createProxyServer(table, silentLogger, { hardening: { timeouts: { responseMs: 400, idleMs: 500, headersMs: 600 } } });
    port = await listen(proxy);
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  test('defaults are Heroku\'s: 30 s to the first byte, 55 s idle; PAAS_ROUTER_* override them', () => {
    assert.deepEqual(routerTimeouts(), DEFAULT_TIMEOUTS);
    assert.equal(DEFAULT_TIMEOUTS.responseMs, 30_000);
    assert.equal(DEFAULT_TIMEOUTS.idleMs, 55_000);
    assert.ok(DEFAULT_TIMEOUTS.headersMs <= 30_000, 'slowloris closed within 60 s with the check interval');
    const c = loadConfig({ PAAS_ROUTER_RESPONSE_TIMEOUT_MS: '1000', PAAS_ROUTER_IDLE_TIMEOUT_MS: '2000' });
    assert.equal(c.routerResponseTimeoutMs, 1000);
    assert.equal(c.routerIdleTimeoutMs, 2000);
    assert.equal(loadConfig({}).routerResponseTimeoutMs, 30_000);
  });

  test('a backend silent past the response timeout gives a 503 H12 page', async () => {
    const r = await raw(port, 'GET /silent HTTP/1.1\r\nHost: app.example.com\r\n\r\n', 3_000);
    assert.match(r.text, /^HTTP\/1\.1 503 /);
    assert.match(r.text, /x-paas-error: H12/i);
    assert.match(r.text, /Request timeout/);
    assert.ok(r.ms >= 380, `answered after ${r.ms} ms, before the timeout`);
  });

  test('a stream idle past the idle timeout is cut (H15); one that keeps moving is not', async () => {
    const r = await raw(port, 'GET /stall HTTP/1.1\r\nHost: app.example.com\r\n\r\n', 3_000);
    assert.ok(r.closed, 'the router closed the idle stream');
    assert.match(r.text, /^HTTP\/1\.1 200 /);
    assert.match(r.text, /first/);
    assert.doesNotMatch(r.text, /\r\n0\r\n\r\n$/, 'the cut stream must not look complete');
    // 8 chunks 100 ms apart: 800 ms in all, longer than the 500 ms idle window, never idle for it.
    const s = await raw(port, 'GET /slow-stream HTTP/1.1\r\nHost: app.example.com\r\nConnection: close\r\n\r\n', 3_000);
    assert.match(s.text, /\r\n0\r\n\r\n$/, 'the moving stream completed');
    assert.match(s.text, /\n7\n/);
  });

  test('a slowloris client (headers one byte at a time) is closed after the header timeout', async () => {
    const head = 'GET / HTTP/1.1\r\nHost: app.example.com\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    const r = await raw(port, head.split(''), 5_000, 50);
    assert.ok(r.closed, 'the router closed the slow client');
    assert.ok(r.text.startsWith('HTTP/1.1 408 '), `told why, with a 408 as from Heroku's router: ${JSON.stringify(r.text.slice(0, 40))}`);
    assert.doesNotMatch(r.text, /^HTTP\/1\.1 200/);
    // headersMs 600 plus the check interval (150 ms here): well before the 10 s the head would take.
    assert.ok(r.ms < 4_000, `closed after ${r.ms} ms`);
  });
});

describe('request hygiene (T8)', () => {
  const table = new RouteTable();
  let backend: http.Server;
  let proxy: http.Server;
  let port: number;
  const seen: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    backend = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('latin1').on('data', (d: string) => (body += d));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'keep-alive': 'timeout=99', connection: 'x-internal', 'x-internal': 'secret', 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      });
    });
    const backendPort = await listen(backend);
    table.set({ app: 'app', domains: ['app.example.com'], backends: [{ id: 'j1', ip: '127.0.0.1', port: backendPort }] });
    table.set({ app: 'other', domains: ['other.example.com'], backends: [] });
    proxy = createProxyServer(table, silentLogger);
    port = await listen(proxy);
  });
  after(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const H = 'Host: app.example.com\r\n';
  const corpus: [string, string, RegExp][] = [
    ['CL+TE', `POST / HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['duplicate Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 41\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['TE obs-fold', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['CR-only line ends', `GET / HTTP/1.1\r${H.replace('\r\n', '\r')}Content-Length: 0\r\rGET /smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['space before colon', `POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['chunk-extension flood', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(100_000)}\r\nx\r\n0\r\n\r\n`, /^(HTTP\/1\.1 (400|413)|)$/],
    ['Transfer-Encoding other than chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, /^(HTTP\/1\.1 (400|501)|)$/],
    ['two Host headers', `GET /smuggled HTTP/1.1\r\n${H}Host: other.example.com\r\n\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['absolute URI naming another host', `GET http://other.example.com/smuggled HTTP/1.1\r\n${H}\r\n`, /^(HTTP\/1\.1 400|)$/],
    ['host superstring', `GET /smuggled HTTP/1.1\r\nHost: evil-app.example.com\r\n\r\n`, /^HTTP\/1\.1 404$/],
    ['host suffix', `GET /smuggled HTTP/1.1\r\nHost: app.example.com.evil.com\r\n\r\n`, /^HTTP\/1\.1 404$/],
  ];

  for (const [name, request, expected] of corpus) {
    test(`refuses ${name}; the backend sees nothing smuggled`, async () => {
      const before = seen.length;
      const r = await raw(port, request, 1_500);
      const statusLine = r.text.split('\r\n')[0]!.replace(/^(HTTP\/1\.1 \d{3}).*$/, '$1');
      assert.match(statusLine, expected, `${name}: got ${JSON.stringify(r.text.slice(0, 80))}`);
      assert.ok(r.closed, `${name}: the connection is closed`);
      assert.deepEqual(seen.slice(before).map((s) => s.url).filter((u) => u.includes('smuggled')), []);
      assert.equal(seen.length, before, `${name}: nothing reached the backend`);
    });
  }

  test('an absolute URI naming the same host is routed, as its path', async () => {
    const r = await raw(port, `GET http://app.example.com/p?q=1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 200/);
    assert.equal(seen.at(-1)?.url, '/p?q=1');
  });

  test('hop-by-hop headers are stripped both ways; X-Forwarded-* and X-Request-Id are the router\'s', async () => {
    const r = await raw(
      port,
      `GET /h HTTP/1.1\r\n${H}Connection: close, X-Secret, X-Forwarded-For, X-Request-Id\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eDp5\r\n` +
        `X-Forwarded-For: evil\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 443\r\nX-Request-Id: abc-123\r\n\r\n`,
    );
    assert.match(r.text, /^HTTP\/1\.1 200/);
    const h = seen.at(-1)!.headers;
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) assert.equal(h[name], undefined, name);
    assert.notEqual(h.connection?.toLowerCase().includes('x-secret'), true);
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-port'], String(port));
    assert.equal(h['x-request-id'], 'abc-123');
    assert.doesNotMatch(r.text, /keep-alive: timeout=99/i);
    assert.doesNotMatch(r.text, /x-internal/i);
    assert.match(r.text, /x-request-id: abc-123/i);
  });

  test('the client\'s keep-alive choice is kept: HTTP/1.0 keep-alive stays open, HTTP/1.1 close closes', async () => {
    const ten = await raw(port, `GET /k HTTP/1.0\r\n${H}Connection: keep-alive\r\n\r\n`, 800);
    assert.match(ten.text, /^HTTP\/1\.1 200/);
    assert.match(ten.text, /connection: keep-alive/i);
    assert.equal(ten.closed, false, 'an HTTP/1.0 keep-alive client keeps its connection');
    const close = await raw(port, `GET /k HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    assert.match(close.text, /connection: close/i);
    assert.ok(close.closed);
  });

  test('a valid X-Forwarded-For is extended; a bad X-Request-Id is replaced', async () => {
    await raw(port, `GET /f HTTP/1.1\r\n${H}X-Forwarded-For: 203.0.113.9\r\nX-Request-Id: bad id!\r\nConnection: close\r\n\r\n`);
    const h = seen.at(-1)!.headers;
    assert.equal(h['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('a request body is forwarded intact (chunked and with a length)', async () => {
    await raw(port, `POST /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n`);
    assert.equal(seen.at(-1)?.body, 'hello world');
    await raw(port, `POST /b HTTP/1.1\r\n${H}Content-Length: 3\r\nConnection: close\r\n\r\nabc`);
    assert.equal(seen.at(-1)?.body, 'abc');
  });
});

/**
 * T7: 10,000 requests, most cut by the client at a random point (mid-headers, mid-body,
 * mid-response, mid-WebSocket), against the router in a child process so its own fds
 * can be counted. Pass: it never dies or reports an unhandled error, still serves, and
 * its fd count is back to the baseline within 60 s.
 */
describe('client-abort storm (T7)', () => {
  const TOTAL = 10_000;
  const CONCURRENCY = 64;
  let backend: http.Server;
  let wss: WebSocketServer;
  let router: ChildRouter;
  let port: number;
  const fds = (): number => router.fds();

  before(async () => {
    backend = http.createServer((req, res) => {
      req.on('error', () => undefined);
      res.on('error', () => undefined);
      if (req.url === '/stream') {
        res.writeHead(200);
        let n = 0;
        const t = setInterval(() => {
          if (res.destroyed || ++n > 30) {
            clearInterval(t);
            return res.end();
          }
          res.write(Buffer.alloc(16_384, 120));
        }, 5);
        res.on('close', () => clearInterval(t));
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    backend.keepAliveTimeout = 1_000;
    wss = new WebSocketServer({ noServer: true });
    backend.on('upgrade', (req, socket, head) => {
      socket.on('error', () => undefined);
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => undefined);
        ws.on('message', (d) => ws.send(d));
      });
    });
    const backendPort = await listen(backend);
    router = await startChildRouter('storm.test', backendPort);
    port = router.port;
  });
  after(async () => {
    router.kill();
    wss.close();
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const H = 'Host: storm.test\r\n';
  const WS_HEAD = `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
  // A masked text frame "hello", cut anywhere by slicing.
  const WS_FRAME = Buffer.from([0x81, 0x85, 1, 2, 3, 4, ...Buffer.from('hello').map((b, i) => b ^ [1, 2, 3, 4][i % 4]!)]);

  /** One client that does one kind of thing and, mostly, walks away in the middle. */
  function one(kind: number): Promise<void> {
    return new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(guard);
        if (Math.random() < 0.5) s.destroy();
        else s.resetAndDestroy();
        resolve();
      };
      const guard = setTimeout(finish, 2_000);
      s.on('error', finish);
      s.on('close', finish);
      const after = (ms: number, f: () => void): void => void setTimeout(() => (done ? undefined : f()), ms);
      const r = Math.floor(Math.random() * 4);
      switch (kind) {
        case 0: {
          // mid-headers
          const head = `GET / HTTP/1.1\r\n${H}X-Pad: ${'p'.repeat(100)}\r\n\r\n`;
          s.write(head.slice(0, 1 + Math.floor(Math.random() * (head.length - 2))));
          after(r, finish);
          break;
        }
        case 1: {
          // mid-body
          s.write(`POST /upload HTTP/1.1\r\n${H}Content-Length: 100000\r\n\r\n`);
          s.write(Buffer.alloc(Math.floor(Math.random() * 50_000), 97));
          after(r, finish);
          break;
        }
        case 2: {
          // mid-response
          s.write(`GET /stream HTTP/1.1\r\n${H}\r\n`);
          let got = 0;
          const want = Math.floor(Math.random() * 200_000);
          s.on('data', (d: Buffer) => {
            got += d.length;
            if (got >= want) finish();
          });
          break;
        }
        case 3: {
          // mid-WebSocket: after the 101, half a frame or a whole one, then gone
          s.write(WS_HEAD);
          s.once('data', () => {
            s.write(WS_FRAME.subarray(0, 1 + Math.floor(Math.random() * WS_FRAME.length)));
            after(r, finish);
          });
          break;
        }
        default: {
          // a complete request, as a control
          s.end(`GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
          s.resume();
        }
      }
    });
  }

  const okThroughRouter = (): Promise<number> =>
    new Promise((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path: '/', headers: { host: 'storm.test' }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });

  test('10,000 aborted requests: the router stays up, serves, and returns to its fd baseline', { timeout: 150_000 }, async (t) => {
    assert.equal(await okThroughRouter(), 200);
    await new Promise((r) => setTimeout(r, 1_500)); // the pooled backend connection times out
    const baseline = fds();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TOTAL) {
        next++;
        await one(Math.floor(Math.random() * 5));
      }
    };
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, fds())), 200);
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    clearInterval(sampler);
    assert.equal(router.child.exitCode, null, `the router died: ${router.stderr()}`);
    assert.equal(await okThroughRouter(), 200);
    let now = fds();
    for (let i = 0; i < 120 && now > baseline; i++) {
      await new Promise((r) => setTimeout(r, 500));
      now = fds();
    }
    assert.ok(now <= baseline, `router fds: ${now} after the storm, ${baseline} before`);
    t.diagnostic(`router fds: ${baseline} before, ${peak} at the peak, ${now} after`);
    assert.equal(router.stderr(), '', 'nothing unhandled, no warnings');
  });
});
