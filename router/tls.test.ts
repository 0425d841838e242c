/**
 * The router's HTTPS side against real TLS clients on loopback (node https, http2 and
 * curl --resolve): the certificate SNI picks per host, wildcard certificates, the default
 * certificate for other names, live reloads, the per-app redirect and HTTP/2 proxied to
 * an HTTP/1.1 backend. Certificates are made with openssl in a temp dir. The controller
 * is a small fake here; controller/certs.test.ts covers the real /router/tls.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { ControllerClient, Route, RouterTls } from '../controller';
import { silentLogger } from '../shared';
import { defaultCertificate } from './default-cert';
import { startRouter, type RunningRouter } from './start';

const execFileAsync = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-router-tls-'));

/** A self-signed certificate for `names` (the first is the CN). */
function makeCert(file: string, names: string[]): { cert: string; key: string } {
  const key = path.join(dir, `${file}.key`);
  const crt = path.join(dir, `${file}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '2',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`], { stdio: 'ignore' });
  return { cert: fs.readFileSync(crt, 'utf8'), key: fs.readFileSync(key, 'utf8') };
}

/** The CN of the certificate the router shows for `servername`. */
function presentedCN(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
      const cn = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve((Array.isArray(cn) ? cn[0] : cn) ?? '');
    });
    socket.on('error', reject);
  });
}

function httpsGet(port: number, host: string, urlPath = '/'): Promise<{ status: number; body: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ port, host: '127.0.0.1', servername: host, path: urlPath, headers: { host }, rejectUnauthorized: false, agent: false, ALPNProtocols: ['http/1.1'] } as https.RequestOptions, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, alpn: (res.socket as tls.TLSSocket).alpnProtocol }));
    });
    req.on('error', reject);
    req.end();
  });
}

function httpGet(port: number, host: string, urlPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: urlPath, method, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('router HTTPS', () => {
  let backend: http.Server;
  let router: RunningRouter;
  const upgraded = new Set<net.Socket>();
  const seen: { proto: string; host: string; url: string; version: string }[] = [];
  const shop = makeCert('shop', ['shop.example.com']);
  const wild = makeCert('wild', ['*.wild.example.com']);
  const newer = makeCert('shop-new', ['shop.example.com', 'www.shop.example.com']);
  let state: RouterTls;
  let routes: Route[];

  before(async () => {
    backend = http.createServer((req, res) => {
      seen.push({ proto: String(req.headers['x-forwarded-proto']), host: String(req.headers.host), url: req.url ?? '', version: req.httpVersion });
      res.setHeader('connection', 'keep-alive');
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => res.end(body ? `backend got ${body}` : `backend saw ${req.url}`));
    });
    backend.on('upgrade', (_req, socket: net.Socket) => {
      upgraded.add(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
    const backends = [{ id: 'j1', ip: '127.0.0.1', port: (backend.address() as AddressInfo).port }];
    routes = [
      { app: 'shop', domains: ['shop.paas.test', 'shop.example.com'], backends },
      { app: 'wild', domains: ['wild.paas.test', '*.wild.example.com'], backends },
    ];
    state = {
      certificates: [
        { id: 'c1', app: 'shop', hostnames: ['shop.example.com'], certificate_chain: shop.cert, private_key: shop.key },
        { id: 'c2', app: 'wild', hostnames: ['*.wild.example.com'], certificate_chain: wild.cert, private_key: wild.key },
      ],
      force_https: ['shop'],
    };
    const client = {
      routes: async () => routes,
      route: async (app: string) => routes.find((r) => r.app === app) ?? { app, domains: [], backends: [] },
      routerTls: async () => state,
    } as unknown as ControllerClient;
    router = await startRouter({ client, log: silentLogger, port: 0, httpsPort: 0, bindAddress: '127.0.0.1', dataDir: dir, domain: 'paas.test', reloadMs: 100, timeouts: { headersMs: 1_000 } });
    await router.ready;
    await router.tlsReady;
  });

  after(async () => {
    await router.close();
    backend.closeAllConnections();
    // Upgraded sockets are the backend's own, not the HTTP server's to close.
    for (const socket of upgraded) socket.destroy();
    await new Promise((r) => backend.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the default certificate is made once in the data dir, for *.<domain>', async () => {
    const again = defaultCertificate(dir, 'paas.test');
    assert.match(new crypto.X509Certificate(again.cert).subjectAltName ?? '', /DNS:\*\.paas\.test/);
    assert.equal(fs.statSync(path.join(dir, 'router', 'default-key.pem')).mode & 0o777, 0o600);
    assert.equal(await presentedCN(router.httpsPort ?? 0, 'shop.paas.test'), '*.paas.test');
    assert.equal(await presentedCN(router.httpsPort ?? 0, 'unknown.example.org'), '*.paas.test');
  });

  test('SNI picks the exact name, then a wildcard one level up', async () => {
    const port = router.httpsPort ?? 0;
    assert.equal(await presentedCN(port, 'shop.example.com'), 'shop.example.com');
    assert.equal(await presentedCN(port, 'SHOP.example.com'), 'shop.example.com');
    assert.equal(await presentedCN(port, 'eu.wild.example.com'), '*.wild.example.com');
    assert.equal(await presentedCN(port, 'a.b.wild.example.com'), '*.paas.test', 'a wildcard covers one level only');
    assert.equal(await presentedCN(port, 'evilshop.example.com'), '*.paas.test');
  });

  test('requests over HTTPS reach the app with X-Forwarded-Proto: https', async () => {
    const res = await httpsGet(router.httpsPort ?? 0, 'shop.example.com', '/cart?x=1');
    assert.equal(res.status, 200);
    assert.equal(res.body, 'backend saw /cart?x=1');
    assert.equal(res.alpn, 'http/1.1');
    assert.equal(seen.at(-1)?.proto, 'https');
    assert.equal((await httpsGet(router.httpsPort ?? 0, 'nope.example.com')).status, 404);
  });

  test('an app that forces HTTPS gets 301 (GET) or 308 (POST) to the same path and query; others are served', async () => {
    const port = router.httpsPort ?? 0;
    const get = await httpGet(router.port, 'shop.example.com:80', '/a/b?q=1&r=2');
    assert.equal(get.status, 301);
    assert.equal(get.headers.location, `https://shop.example.com:${port}/a/b?q=1&r=2`);
    const post = await httpGet(router.port, 'shop.paas.test', '/form', 'POST');
    assert.equal(post.status, 308);
    assert.equal(post.headers.location, `https://shop.paas.test:${port}/form`);
    assert.equal((await httpGet(router.port, 'eu.wild.example.com', '/')).status, 200);
  });

  test('HTTP/2 clients are served over h2 and proxied as HTTP/1.1', async () => {
    const session = http2.connect(`https://127.0.0.1:${router.httpsPort}`, { servername: 'eu.wild.example.com', rejectUnauthorized: false });
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const stream = session.request({ ':path': '/h2?y=2', ':authority': 'eu.wild.example.com' });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('utf8').on('data', (d: string) => (body += d));
        stream.on('end', () => resolve({ status, body }));
        stream.on('error', reject);
        stream.end();
      });
      assert.equal(status, 200);
      assert.equal(body, 'backend saw /h2?y=2');
      assert.deepEqual(seen.at(-1), { proto: 'https', host: 'eu.wild.example.com', url: '/h2?y=2', version: '1.1' });
    } finally {
      session.close();
    }
  });

  test('an HTTP/2 request body streams to the backend, and WebSockets work over TLS (wss, HTTP/1.1)', async () => {
    const session = http2.connect(`https://127.0.0.1:${router.httpsPort}`, { servername: 'eu.wild.example.com', rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/post', ':method': 'POST', ':authority': 'eu.wild.example.com' });
        let text = '';
        stream.setEncoding('utf8').on('data', (d: string) => (text += d));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
        stream.end('order=42');
      });
      assert.equal(body, 'backend got order=42');
    } finally {
      session.close();
    }
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: router.httpsPort ?? 0, host: '127.0.0.1', servername: 'shop.example.com', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        socket.write('GET /ws HTTP/1.1\r\nhost: shop.example.com\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n');
      });
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes(' 101 ') && !got.includes('echo:')) socket.write('ping');
        if (got.includes('echo:ping')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
    });
    assert.match(echoed, /^HTTP\/1\.1 101 /);
  });

  test('a client that never finishes its headers over TLS is cut off by the header timeout', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: router.httpsPort ?? 0, host: '127.0.0.1', servername: 'shop.example.com', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        socket.write('GET / HTTP/1.1\r\nhost: shop.example.com\r\nx-slow: ');
      });
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      // Far beyond the 1 s limit: the router must have closed it by then.
      setTimeout(() => {
        socket.destroy();
        resolve('still open');
      }, 10_000).unref();
    });
    assert.notEqual(answer, 'still open');
    assert.match(answer, /^(HTTP\/1\.1 408|$)/);
  });

  test('curl --resolve: h2 by ALPN, the SNI certificate, and the redirect', async () => {
    // curl runs as a child process without blocking this one, which serves it.
    const curl = async (args: string[]): Promise<string> => (await execFileAsync('curl', args, { encoding: 'utf8' })).stdout;
    const port = router.httpsPort ?? 0;
    const h2 = await curl(['-sk', '--http2', '--resolve', `shop.example.com:${port}:127.0.0.1`, '-o', '/dev/null', '-w', '%{http_version} %{http_code}', `https://shop.example.com:${port}/curl`]);
    assert.equal(h2, '2 200');
    const verbose = (await execFileAsync('curl', ['-sk', '-v', '--resolve', `eu.wild.example.com:${port}:127.0.0.1`, '-o', '/dev/null', `https://eu.wild.example.com:${port}/`], { encoding: 'utf8' })).stderr;
    assert.match(verbose, /subject: CN=\*\.wild\.example\.com/);
    const redirect = await curl(['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '--resolve', `shop.example.com:${router.port}:127.0.0.1`, `http://shop.example.com:${router.port}/x?y=1`]);
    assert.equal(redirect, `301 https://shop.example.com:${port}/x?y=1`);
  });

  test('certificate changes are picked up live; a newer certificate for a name wins; a bad one is skipped', async () => {
    const port = router.httpsPort ?? 0;
    state = {
      certificates: [
        ...state.certificates,
        { id: 'bad', app: 'shop', hostnames: ['shop.example.com'], certificate_chain: 'garbage', private_key: 'garbage' },
        { id: 'c3', app: 'shop', hostnames: ['shop.example.com'], certificate_chain: newer.cert, private_key: newer.key },
      ],
      force_https: [],
    };
    await eventually('the new certificate', async () => {
      const socket = await new Promise<tls.PeerCertificate>((resolve, reject) => {
        const s = tls.connect({ port, host: '127.0.0.1', servername: 'shop.example.com', rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate());
          s.end();
        });
        s.on('error', reject);
      });
      return (socket.subjectaltname ?? '').includes('www.shop.example.com');
    });
    assert.equal((await httpGet(router.port, 'shop.example.com', '/')).status, 200, 'the redirect is off again');
    state = { certificates: [], force_https: [] };
    await eventually('the certificate to go', async () => (await presentedCN(port, 'shop.example.com')) === '*.paas.test');
  });
});
