/**
 * Upgrades and streaming through the router, against real servers: a `ws` WebSocket
 * server behind it and a `ws` client in front; streams in lock-step, so a router that
 * buffered a response or a request body would make the test hang instead of pass.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../shared';
import { createProxyServer } from './proxy';
import { RouteTable } from './table';

const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

/** A promise with its resolver outside, for lock-step between the two ends of a stream. */
function signal(): { wait: Promise<void>; fire: () => void } {
  let fire: () => void = () => undefined;
  const wait = new Promise<void>((r) => (fire = r));
  return { wait, fire };
}

describe('WebSockets and streaming through the router', () => {
  const table = new RouteTable();
  let backend: http.Server;
  let wss: WebSocketServer;
  let proxy: http.Server;
  let port: number;
  let serverSockets = 0;
  const upgradeHeaders: http.IncomingHttpHeaders[] = [];
  // Lock-step for the streaming tests: each side waits for the other to have seen a chunk.
  let received: { wait: Promise<void>; fire: () => void }[] = [];

  before(async () => {
    backend = http.createServer(async (req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (let i = 0; i < 5; i++) {
          res.write(`chunk ${i}\n`);
          await received[i]!.wait; // the client has it before the next one is written
          await new Promise((r) => setTimeout(r, 100));
        }
        res.end();
        return;
      }
      if (req.url === '/upload') {
        let i = 0;
        req.on('data', () => received[i++]?.fire());
        req.on('end', () => res.end(`got ${i} chunks`));
        return;
      }
      res.end('plain');
    });
    wss = new WebSocketServer({ noServer: true });
    backend.on('upgrade', (req, socket, head) => {
      upgradeHeaders.push(req.headers);
      if (req.url === '/refuse') {
        socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        serverSockets++;
        ws.on('close', () => serverSockets--);
        ws.on('message', (data, binary) => {
          if (!req.url?.startsWith('/silent')) ws.send(data, { binary });
        });
      });
    });
    const backendPort = await listen(backend);
    table.set({ app: 'app', domains: ['app.example.com'], backends: [{ id: 'j1', ip: '127.0.0.1', port: backendPort, dyno: 'web.1' }] });
    proxy = createProxyServer(table, silentLogger, { hardening: { timeouts: { idleMs: 1_000 } } });
    port = await listen(proxy);
  });
  after(async () => {
    wss.close();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const open = (path: string): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host: 'app.example.com' } });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  test('a WebSocket echoes text and binary through the router, with forwarding headers', async () => {
    const ws = await open('/echo');
    const echo = (data: string | Buffer): Promise<Buffer> =>
      new Promise((resolve) => {
        ws.once('message', (d) => resolve(d as Buffer));
        ws.send(data);
      });
    assert.equal((await echo('hello')).toString(), 'hello');
    const big = Buffer.alloc(256 * 1024, 7);
    assert.deepEqual(await echo(big), big);
    const h = upgradeHeaders.at(-1)!;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h.upgrade, 'websocket');
    assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
    const closed = new Promise((r) => ws.once('close', r));
    ws.close();
    await closed;
  });

  test('closing the client tunnel closes the backend\'s; a vanished client too', async () => {
    const base = serverSockets;
    const ws = await open('/echo');
    assert.equal(serverSockets, base + 1);
    ws.terminate(); // no close frame: the TCP connection just goes
    for (let i = 0; i < 50 && serverSockets > base; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(serverSockets, base);
  });

  test('a backend refusing the upgrade: its answer reaches the client; an unknown host gets a 404', async () => {
    await assert.rejects(open('/refuse'), /Unexpected server response: 403/);
    await assert.rejects(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'evil-app.example.com' } });
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
      /Unexpected server response: 404/,
    );
  });

  test('an upgrade to an app with no web process gets a 503, as a plain request does', async () => {
    table.set({ app: 'idle', domains: ['idle.example.com'], backends: [] });
    await assert.rejects(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: 'idle.example.com' } });
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
      /Unexpected server response: 503/,
    );
  });

  test('a WebSocket silent for the idle timeout is cut (H15)', async () => {
    const ws = await open('/silent');
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    assert.equal(code, 1006, 'closed without a close frame: the router cut the tunnel');
  });

  test('a response streaming one chunk per 100 ms reaches the client chunk by chunk', async () => {
    received = Array.from({ length: 5 }, signal);
    const chunks: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = http.get({ port, host: '127.0.0.1', path: '/stream', headers: { host: 'app.example.com' } }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          for (const line of d.split('\n').filter(Boolean)) {
            chunks.push(line);
            received[chunks.length - 1]?.fire();
          }
        });
        res.on('end', () => resolve());
      });
      req.on('error', reject);
    });
    assert.deepEqual(chunks, ['chunk 0', 'chunk 1', 'chunk 2', 'chunk 3', 'chunk 4']);
  });

  test('a request body reaches the backend chunk by chunk', async () => {
    received = Array.from({ length: 5 }, signal);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/upload', headers: { host: 'app.example.com' } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      void (async () => {
        for (let i = 0; i < 5; i++) {
          req.write(`part ${i}`);
          await received[i]!.wait; // the backend has it before the next one is sent
        }
        req.end();
      })();
    });
    assert.equal(answer, 'got 5 chunks');
  });
});
