/**
 * Heroku's router limits (RELIABILITY.md T6): a backend gets 30 s to start its response
 * (else 503, H12 "Request timeout"), a response that streams may go 55 s without a byte
 * either way (else it is cut, H15 "Idle connection"), and a client gets a bounded time
 * to send its request head, so a slowloris client cannot hold a socket for ever.
 */
import type http from 'node:http';

export interface RouterTimeouts {
  /** From the request being sent upstream (and its body done) to the response's first byte. */
  responseMs: number;
  /** No byte in either direction while a response or a WebSocket streams. */
  idleMs: number;
  /** A client's whole request head. */
  headersMs: number;
}

export const DEFAULT_TIMEOUTS: RouterTimeouts = { responseMs: 30_000, idleMs: 55_000, headersMs: 30_000 };

export function routerTimeouts(partial: Partial<RouterTimeouts> = {}): RouterTimeouts {
  return {
    responseMs: partial.responseMs ?? DEFAULT_TIMEOUTS.responseMs,
    idleMs: partial.idleMs ?? DEFAULT_TIMEOUTS.idleMs,
    headersMs: partial.headersMs ?? DEFAULT_TIMEOUTS.headersMs,
  };
}

/**
 * Options for http.createServer. Node checks the header timeout every
 * connectionsCheckingInterval (default 30 s), so a slow client is closed between
 * headersMs and headersMs + that interval; the interval is scaled down with headersMs.
 * requestTimeout is off: a long upload is bounded by the idle timeout instead.
 */
export function serverTimeoutOptions(t: RouterTimeouts): http.ServerOptions {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(t.headersMs / 4))),
    keepAliveTimeout: 5_000,
    // Strict parsing even if NODE_OPTIONS says --insecure-http-parser: T8 depends on it.
    insecureHTTPParser: false,
  };
}

export type TimeoutCode = 'H12' | 'H15';

/**
 * Watches one proxied exchange: the first-byte timer runs while the backend has not
 * answered (refreshed while the request body still flows), then the idle timer while the
 * response streams. One timer per exchange, refreshed (not re-created) on every chunk.
 * `onTimeout` is called once; the caller answers or cuts the client. A client that goes
 * away mid-response takes the upstream request down with it, so a paused backend socket
 * is not left behind.
 */
export function watchExchange(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: http.ClientRequest,
  t: RouterTimeouts,
  onTimeout: (code: TimeoutCode) => void,
  onBytes?: (n: number) => void,
): void {
  let phase: TimeoutCode = 'H12';
  const timer = setTimeout(() => {
    cutUpstream(upstream);
    onTimeout(phase);
  }, t.responseMs);
  const refresh = (): void => void timer.refresh();
  if (!req.complete) req.on('data', refresh);
  upstream.once('response', (proxyRes: http.IncomingMessage) => {
    phase = 'H15';
    clearTimeout(timer);
    // The idle window starts now, with its own length.
    const idle = setTimeout(() => {
      cutUpstream(upstream);
      onTimeout('H15');
    }, t.idleMs);
    const touch = (chunk: Buffer): void => {
      idle.refresh();
      onBytes?.(chunk.length);
    };
    proxyRes.on('data', touch);
    req.on('data', () => idle.refresh());
    const done = (): void => clearTimeout(idle);
    proxyRes.once('end', done);
    proxyRes.once('close', done);
    res.once('close', done);
  });
  res.once('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) cutUpstream(upstream);
  });
}

/**
 * Ends an upstream request without letting http-proxy turn it into a 502 page: the
 * router has already answered (H12) or is cutting the client (H15).
 */
export function cutUpstream(upstream: http.ClientRequest): void {
  if (upstream.destroyed) return;
  upstream.removeAllListeners('error');
  upstream.on('error', () => undefined);
  upstream.destroy();
}
