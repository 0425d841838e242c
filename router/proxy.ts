/**
 * The HTTP edge: matches the Host header exactly, picks a live backend round-robin and
 * proxies with http-proxy over keep-alive connections. X-Forwarded-* and X-Request-Id
 * are set here; the router never crashes on a backend or client error.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../shared';
import { backendFailed, noSuchApp, noWebProcesses } from './pages';
import type { RouteTable } from './table';

export interface ProxyOptions {
  /** Time to the first byte of the response before the router gives up (Heroku: 30 s). */
  responseTimeoutMs?: number;
}

export function createProxyServer(table: RouteTable, log: Logger, options: ProxyOptions = {}): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000 });
  const proxy = httpProxy.createProxyServer({ agent, xfwd: true, proxyTimeout: options.responseTimeoutMs ?? 30_000, ws: true });

  proxy.on('error', (err, _req, res) => {
    log.debug('backend error', { err: err.message });
    if (res instanceof http.ServerResponse) backendFailed(res);
    else (res as Duplex).destroy();
  });

  const server = http.createServer((req, res) => {
    const entry = table.lookup(req.headers.host);
    if (!entry) return noSuchApp(res);
    const backend = table.pick(entry);
    if (!backend) return noWebProcesses(res);
    const incoming = req.headers['x-request-id'];
    req.headers['x-request-id'] = typeof incoming === 'string' && /^[\w-]{1,200}$/.test(incoming) ? incoming : crypto.randomUUID();
    res.setHeader('x-request-id', req.headers['x-request-id']);
    proxy.web(req, res, { target: { host: backend.ip, port: backend.port } });
  });

  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const entry = table.lookup(req.headers.host);
    const backend = entry && table.pick(entry);
    if (!backend) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    proxy.ws(req, socket, head, { target: { host: backend.ip, port: backend.port } });
  });

  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('close', () => {
    proxy.close();
    agent.destroy();
  });
  return server;
}
