/**
 * The router's HTTPS listener: TLS with the certificate SNI picks (tls.ts), HTTP/2 or
 * HTTP/1.1 by ALPN, and then the very same handlers as plain HTTP (the proxy server's
 * 'request' and 'upgrade' listeners), so routing, hardening and logs are one code path.
 * Backends always get HTTP/1.1 (http-proxy); an HTTP/2 request is reshaped for that:
 * its :authority becomes Host, pseudo-headers are dropped, and response headers that
 * HTTP/2 forbids (Connection, Keep-Alive, Transfer-Encoding, ...) are not passed on.
 * WebSockets work over HTTPS with HTTP/1.1 (wss://); HTTP/2 extended CONNECT is not offered.
 *
 * The plain-HTTP side's per-app redirect is here too (`httpsRedirect`).
 */
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { RouteEntry } from './table';
import { normalizeHost } from './table';
import type { TlsStore } from './tls';

export interface HttpsServerOptions {
  /** Idle time of an HTTP/2 session before it is closed (HTTP/1.1 keep-alive follows http1.keepAliveTimeout). */
  idleTimeoutMs?: number;
  /** A client that has not finished the TLS handshake by then is dropped (slowloris on TLS). */
  handshakeTimeoutMs?: number;
  /** The plain server's limits (timeouts.ts serverTimeoutOptions) for HTTP/1.1 over TLS: header timeout (slowloris), strict parsing. */
  http1?: http.ServerOptions;
}

/** Response headers that are connection-specific in HTTP/2 (RFC 9113 §8.2.2). */
const H2_FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/**
 * `inner` is the plain proxy server; its listeners serve the decrypted requests.
 * One https.Server terminates TLS and serves HTTP/1.1 itself (so Node's header timeout
 * and strict parser apply, as on the plain side); a connection that chose h2 by ALPN is
 * handed to an http2 server instead. (http2's own allowHTTP1 fallback does not enforce
 * headersTimeout, which would let a slow client hold a TLS connection forever.)
 */
export function createHttpsServer(store: TlsStore, inner: http.Server, options: HttpsServerOptions = {}): https.Server {
  const forward = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    if (req instanceof http2.Http2ServerRequest) asHttp1(req, res as http2.Http2ServerResponse);
    inner.emit('request', req, res);
  };
  const h2 = http2.createServer({}, forward);
  h2.setTimeout(options.idleTimeoutMs ?? 55_000);
  h2.on('sessionError', () => undefined);
  const server = https.createServer(
    {
      ...options.http1,
      ALPNProtocols: ['h2', 'http/1.1'],
      cert: store.defaultPair.cert,
      key: store.defaultPair.key,
      minVersion: 'TLSv1.2',
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
      SNICallback: (servername, cb) => cb(null, store.contextFor(servername)),
    },
    forward,
  );
  const http1 = server.listeners('secureConnection')[0] as (socket: TLSSocket) => void;
  server.removeAllListeners('secureConnection');
  server.on('secureConnection', (socket: TLSSocket) => (socket.alpnProtocol === 'h2' ? h2.emit('connection', socket) : http1.call(server, socket)));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => inner.emit('upgrade', req, socket, head));
  // A client that speaks plain HTTP or garbage to the TLS port: close, never crash.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  return server;
}

/** Makes an HTTP/2 request look like the HTTP/1.1 one the proxy and http-proxy expect. */
function asHttp1(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const h = req.headers;
  if (h.host === undefined && typeof h[':authority'] === 'string') h.host = h[':authority'];
  // url and method are read from the pseudo-headers: pin them before those go (hygiene may still rewrite url).
  for (const [name, value] of [['url', req.url], ['method', req.method]] as const) Object.defineProperty(req, name, { value, writable: true, configurable: true });
  for (const name of Object.keys(h)) if (name.startsWith(':')) delete h[name];
  const setHeader = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) => {
    if (!H2_FORBIDDEN.has(name.toLowerCase())) setHeader(name, value);
    return res;
  }) as typeof res.setHeader;
  // HTTP/2 has no reason phrase; http-proxy copies the backend's and Node would warn each time.
  Object.defineProperty(res, 'statusMessage', { get: () => '', set: () => undefined, configurable: true });
}

/**
 * For the plain-HTTP listener: an app that forces HTTPS gets a redirect to the same host,
 * path and query on the HTTPS port. 301 for GET and HEAD; 308 for other methods, which
 * (unlike 301) tells clients to repeat the method and body rather than turn it into a GET.
 * Returns true when it answered.
 */
export function httpsRedirect(store: TlsStore, httpsPort: () => number) {
  return (req: http.IncomingMessage, res: http.ServerResponse, entry: RouteEntry): boolean => {
    if ((req.socket as TLSSocket).encrypted || !store.forcesHttps(entry.app) || !req.headers.host) return false;
    const port = httpsPort();
    const location = `https://${normalizeHost(req.headers.host)}${port === 443 ? '' : `:${port}`}${req.url?.startsWith('/') ? req.url : '/'}`;
    const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    res.writeHead(status, { location, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(location) + 1 });
    res.end(req.method === 'HEAD' ? undefined : `${location}\n`);
    return true;
  };
}

export type HttpsRedirect = ReturnType<typeof httpsRedirect>;
