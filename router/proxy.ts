/**
 * The HTTP edge: matches the Host header exactly, picks a live backend round-robin and
 * proxies with http-proxy over keep-alive connections. X-Forwarded-* and X-Request-Id
 * are set here; the router never crashes on a backend or client error.
 *
 * A request goes out on an idle keep-alive connection when one to the picked backend
 * exists; otherwise the router opens one first (backend-dial.ts), trying other backends
 * when the connect fails (T5), and hands that socket to the agent. Once a request is on
 * a connection it is never retried: the backend may have acted on it.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Logger } from '../shared';
import { dialBackend } from './backend-dial';
import { backendFailed, noSuchApp, noWebProcesses, sendError } from './pages';
import type { Backend, RouteEntry, RouteTable } from './table';

export interface ProxyOptions {
  /** Time to the first byte of the response before the router gives up (Heroku: 30 s). */
  responseTimeoutMs?: number;
  /** A backend that has not accepted the connection by then is skipped (T5: 1 s). */
  dialTimeoutMs?: number;
  /** Backends tried per request before the router answers 502 (T5: 4). */
  dialAttempts?: number;
}

/**
 * The agent's next new connection is the socket the router just dialed. http-proxy
 * calls http.request synchronously inside proxy.web, so the slot is filled and emptied
 * around that one call; a socket the agent did not take (it queued the request at its
 * socket limit) is closed.
 */
class DialedAgent extends http.Agent {
  private handOver: net.Socket | undefined;

  withSocket(socket: net.Socket, send: () => void): void {
    this.handOver = socket;
    try {
      send();
    } finally {
      if (this.handOver) this.handOver.destroy();
      this.handOver = undefined;
    }
  }

  hasIdle(backend: Backend): boolean {
    const free = (this.freeSockets as Record<string, unknown[] | undefined>)[this.getName({ host: backend.ip, port: backend.port })];
    return (free?.length ?? 0) > 0;
  }

  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, socket: Duplex) => void): Duplex {
    const socket = this.handOver;
    this.handOver = undefined;
    if (socket) return socket;
    return super.createConnection(options, callback) as Duplex;
  }
}

const unavailable = (res: http.ServerResponse): void =>
  sendError(res, 502, 'backend_unreachable', 'Application unavailable', 'No web process of this app accepted a connection. Check <code>paas ps</code> and the app\'s log (<code>paas logs</code>).');

export function createProxyServer(table: RouteTable, log: Logger, options: ProxyOptions = {}): http.Server {
  const agent = new DialedAgent({ keepAlive: true, maxSockets: 512, keepAliveMsecs: 10_000 });
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
    if (agent.hasIdle(backend)) {
      proxy.web(req, res, { target: { host: backend.ip, port: backend.port } });
      return;
    }
    void dialThenProxy(req, res, entry, backend);
  });

  const dialThenProxy = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RouteEntry, first: Backend): Promise<void> => {
    let given: Backend | undefined = first;
    const next = (): Backend | undefined => {
      const b = given ?? table.pick(entry);
      given = undefined;
      return b;
    };
    const dialed = await dialBackend(next, { timeoutMs: options.dialTimeoutMs, attempts: options.dialAttempts, hasIdle: (b) => agent.hasIdle(b) });
    if (req.destroyed || res.destroyed) {
      if ('backend' in dialed) dialed.socket?.destroy();
      return;
    }
    if (!('backend' in dialed)) {
      log.warn('no backend accepted a connection', { app: entry.app, failures: dialed.failures.map((f) => `${f.backend.ip}:${f.backend.port} ${f.error}`) });
      return unavailable(res);
    }
    if (dialed.backend !== first) log.debug('dial retried on another backend', { app: entry.app, backend: `${dialed.backend.ip}:${dialed.backend.port}` });
    const send = (): void => proxy.web(req, res, { target: { host: dialed.backend.ip, port: dialed.backend.port } });
    if (dialed.socket) agent.withSocket(dialed.socket, send);
    else send();
  };

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
