/**
 * The HTTP edge: matches the Host header exactly, picks a live backend (balancer.ts:
 * power of two choices by default) and proxies with http-proxy over keep-alive
 * connections. X-Forwarded-* and X-Request-Id are set here; the router never crashes on
 * a backend or client error.
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
import { Backlog } from './backlog';
import { Balancer, type BalancePolicy } from './balancer';
import { attachHardening, type HardeningOptions } from './hardening';
import type { HttpsRedirect } from './https-server';
import { backendFailed, backlogTooDeep, noSuchApp, noWebProcesses, sendError, waitedTooLong } from './pages';
import type { Backend, RouteEntry, RouteTable } from './table';

export interface ProxyOptions {
  /** Time to the first byte of the response before the router gives up (Heroku: 30 s). */
  responseTimeoutMs?: number;
  /** A backend that has not accepted the connection by then is skipped (T5: 1 s). */
  dialTimeoutMs?: number;
  /** Backends tried per request before the router answers 502 (T5: 4). */
  dialAttempts?: number;
  /** How a backend is picked (balancer.ts); power of two choices when absent. */
  balance?: BalancePolicy;
  /** Requests in flight per web process before others wait in the backlog (backlog.ts: 50). */
  maxActivePerBackend?: number;
  /** Timeouts, hygiene and router log lines (hardening.ts). */
  hardening?: HardeningOptions;
  /** Per-app HTTP→HTTPS redirect (https-server.ts); true when it answered. */
  httpsRedirect?: HttpsRedirect;
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

/** Idle keep-alive connections to backends close after this (see the agent below). */
const IDLE_UPSTREAM_MS = 2_000;

const unavailable = (res: http.ServerResponse): void =>
  sendError(res, 502, 'backend_unreachable', 'Application unavailable', 'No web process of this app accepted a connection. Check <code>paas ps</code> and the app\'s log (<code>paas logs</code>).');

export function createProxyServer(table: RouteTable, log: Logger, options: ProxyOptions = {}): http.Server {
  // LIFO: the most recently used connection goes next, so under light load the others
  // idle out instead of all staying barely warm; idle ones close after 2 s, before the
  // keep-alive timeouts of common app servers (gunicorn 2 s, Node 5 s), so the router
  // rarely sends a request on a connection the backend is closing.
  const agent = new DialedAgent({ keepAlive: true, scheduling: 'lifo', maxSockets: 512, maxFreeSockets: 512, timeout: IDLE_UPSTREAM_MS, keepAliveMsecs: 10_000 });
  const balancer = new Balancer(options.balance);
  // X-Forwarded-* are set by hardening.ts (xfwd would append to a client's spoofed ones); its timers replace proxyTimeout.
  const proxy = httpProxy.createProxyServer({ agent, xfwd: false, ws: true });
  const hooks = attachHardening(proxy, { ...options.hardening, timeouts: { responseMs: options.responseTimeoutMs, ...options.hardening?.timeouts } });

  const backlog = new Backlog({
    perBackend: options.maxActivePerBackend,
    waitMs: hooks.timeouts.responseMs,
    pick: (entry, limit) => balancer.pickUnder(entry, limit),
    current: (app) => table.entryOf(app),
    refuse: (res, code) => (code === 'H11' ? backlogTooDeep(res) : waitedTooLong(res, hooks.timeouts.responseMs / 1000)),
  });

  proxy.on('error', (err, _req, res) => {
    log.debug('backend error', { err: err.message });
    if (res instanceof http.ServerResponse) backendFailed(res);
    else (res as Duplex).destroy();
  });

  const server = http.createServer(hooks.serverOptions, (req, res) => {
    if (!hooks.admit(req, res)) return;
    const entry = table.lookup(req.headers.host);
    if (!entry) return noSuchApp(res);
    hooks.routed(req, res, entry);
    if (options.httpsRedirect?.(req, res, entry)) return;
    if (entry.backends.length === 0) return noWebProcesses(res);
    // hygiene.ts (admit) has already checked the client's id or made one.
    res.setHeader('x-request-id', (req.headers['x-request-id'] ??= crypto.randomUUID()));
    backlog.admit(entry, res, (backend) => {
      // Counted as in flight on its backend (for the balancer and the backlog's limit)
      // from now, dial included, until the client's response closes; then a request
      // waiting in the app's backlog may go.
      let done = balancer.start(backend);
      res.once('close', () => {
        done();
        backlog.release(entry.app);
      });
      const countOn = (b: Backend): void => {
        if (b === backend) return;
        done();
        done = balancer.start(b);
      };
      if (agent.hasIdle(backend)) forward(req, res, backend);
      else void dialThenProxy(req, res, entry, backend, countOn);
    });
  });

  const dialThenProxy = async (req: http.IncomingMessage, res: http.ServerResponse, entry: RouteEntry, first: Backend, countOn: (b: Backend) => void): Promise<void> => {
    let given: Backend | undefined = first;
    let last: Backend | undefined;
    const next = (): Backend | undefined => {
      // Asked again: the last one's connect failed (dialBackend), so the balancer skips it for a while.
      if (last) balancer.failed(last);
      const b = given ?? balancer.pick(entry);
      given = undefined;
      last = b;
      return b;
    };
    const dialed = await dialBackend(next, { timeoutMs: options.dialTimeoutMs, attempts: options.dialAttempts, hasIdle: (b) => agent.hasIdle(b) });
    if (req.destroyed || res.destroyed) {
      if ('backend' in dialed) dialed.socket?.destroy();
      return;
    }
    for (const f of 'failures' in dialed ? dialed.failures : []) balancer.failed(f.backend);
    if (!('backend' in dialed)) {
      log.warn('no backend accepted a connection', { app: entry.app, failures: dialed.failures.map((f) => `${f.backend.ip}:${f.backend.port} ${f.error}`) });
      return unavailable(res);
    }
    if (dialed.backend !== first) {
      log.debug('dial retried on another backend', { app: entry.app, backend: `${dialed.backend.ip}:${dialed.backend.port}` });
      countOn(dialed.backend);
    }
    const socket = dialed.socket;
    if (socket) agent.withSocket(socket, () => forward(req, res, dialed.backend));
    else forward(req, res, dialed.backend);
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, backend: Backend): void => {
    proxy.web(req, res, { target: { host: backend.ip, port: backend.port } });
  };

  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!hooks.admitUpgrade(req, socket)) return;
    const entry = table.lookup(req.headers.host);
    const backend = entry && balancer.pick(entry);
    if (!backend) {
      // As for plain requests: an unknown host is a 404, a known app with no web process a 503.
      socket.end(entry ? 'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\n' : 'HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    hooks.routedUpgrade(req, socket, entry);
    proxy.ws(req, socket, head, { target: { host: backend.ip, port: backend.port } });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A client too slow to send its headers gets 408, as from Heroku's router; a malformed request 400.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
  });
  server.on('close', () => {
    proxy.close();
    agent.destroy();
  });
  return server;
}
