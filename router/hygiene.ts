/**
 * Request hygiene at the edge (RELIABILITY.md T8). Node's parser already refuses most
 * smuggling shapes (CL+TE, duplicate Content-Length, obs-fold, CR-only line ends, a
 * space before the colon, chunk-extension floods); what it lets through is refused
 * here: a second Host header (Node keeps the first, a backend may read the last), an
 * absolute URI naming another host than Host, and a Transfer-Encoding other than plain
 * `chunked`. Then the request is made fit to forward: hop-by-hop headers go (those
 * named by Connection too), and X-Forwarded-For/-Proto/-Port and X-Request-Id are
 * the router's, never the client's word.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { normalizeHost } from './table';

/** RFC 9110 §7.6.1, plus the proxy-only ones. Upgrade is kept on upgrade requests. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate'];

/** Why this request must not be forwarded (400), or undefined. May rewrite an absolute URI to its path. */
export function refuseReason(req: http.IncomingMessage): string | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.length === 4 && req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return 'more than one Host header';
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return 'a Transfer-Encoding other than chunked';
  const url = req.url ?? '/';
  if (!url.startsWith('/') && url !== '*') {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return 'a request target that is neither a path nor an absolute URI';
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return 'an absolute URI that is not http(s)';
    // RFC 9112 §3.2.2: the URI's authority wins over Host, so both must name the same app.
    if (req.headers.host === undefined || normalizeHost(target.host) !== normalizeHost(req.headers.host)) return 'an absolute URI whose host is not the Host header';
    req.url = `${target.pathname}${target.search}`;
  }
  return undefined;
}

/** Strips hop-by-hop headers and sets the forwarding ones. `upgrade`: keep Connection: upgrade and Upgrade. */
export function prepareForwarding(req: http.IncomingMessage, upgrade = false): void {
  const h = req.headers;
  const named = typeof h.connection === 'string' ? h.connection.toLowerCase().split(',').map((s) => s.trim()).filter(Boolean) : [];
  const upgradeTo = h.upgrade;
  for (const name of named) if (!isForwardingHeader(name)) delete h[name];
  for (const name of HOP_BY_HOP) delete h[name];
  // The router answers `Expect: 100-continue` itself (Node does), so the backend never waits for it.
  delete h.expect;
  if (upgrade && upgradeTo !== undefined) {
    h.connection = 'upgrade';
    h.upgrade = upgradeTo;
  }

  const client = clientAddress(req);
  const fwd = h['x-forwarded-for'];
  h['x-forwarded-for'] = typeof fwd === 'string' && validForwardedFor(fwd) ? `${fwd}, ${client}` : client;
  h['x-forwarded-proto'] = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
  h['x-forwarded-port'] = String(req.socket.localPort ?? '');
  const id = h['x-request-id'];
  if (typeof id !== 'string' || !/^[\w-]{1,200}$/.test(id)) h['x-request-id'] = crypto.randomUUID();
}

/** Hop-by-hop headers of a backend's response (Keep-Alive, Connection-named ones); Connection itself is set by the proxy. */
export function stripResponseHopByHop(headers: http.IncomingHttpHeaders): void {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((s) => s.trim()) : [];
  for (const name of named) if (name !== 'close' && name !== 'keep-alive' && name !== 'upgrade') delete headers[name];
  delete headers['keep-alive'];
  delete headers['proxy-connection'];
  delete headers.trailer;
  delete headers.connection;
}

/** The client's address as logged and forwarded (IPv4-mapped IPv6 shown as IPv4). */
export function clientAddress(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

// A client may not delete the router's own headers by naming them in Connection.
const isForwardingHeader = (name: string): boolean => name === 'host' || name.startsWith('x-forwarded-') || name === 'x-request-id' || name === 'content-length' || name === 'transfer-encoding';

const validForwardedFor = (v: string): boolean => v.length <= 1024 && v.split(',').every((p) => net.isIP(p.trim()) !== 0);
