/**
 * Which drain URLs paas accepts, and what they mean:
 * - `syslog+tls://host:port`: RFC 5424 syslog over TLS (RFC 5425 framing), like Heroku.
 * - `syslog://host:port`: the same over plain TCP; unencrypted, for receivers on a
 *   private network only.
 * - `https://host[:port]/path`: Heroku's HTTPS drain (one POST of application/logplex-1
 *   per batch); user:password in the URL becomes HTTP basic auth.
 * `http://` is refused: log lines carry what apps print (often secrets), and Heroku
 * refuses it too.
 */
import { InvalidInputError } from '../../shared';

export type DrainKind = 'syslog+tls' | 'syslog' | 'https';

export interface DrainTarget {
  kind: DrainKind;
  host: string;
  port: number;
  /** The parsed URL (https drains post to it). */
  url: URL;
}

export const ACCEPTED_FORMS = 'syslog+tls://host:port, syslog://host:port (unencrypted) or https://host/path';
export const MAX_URL_LENGTH = 2048;

/** Parses a drain URL; a URL paas cannot use is a 422 that says which forms it takes. */
export function parseDrainUrl(input: string): DrainTarget {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`${why} A drain URL looks like ${ACCEPTED_FORMS}.`, 'invalid_drain_url');
  };
  if (input.length > MAX_URL_LENGTH) refuse(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return refuse(`${JSON.stringify(input)} is not a URL.`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'http') refuse('Plain http:// would send log lines unencrypted; use https://.');
  if (scheme !== 'syslog+tls' && scheme !== 'syslog' && scheme !== 'https') refuse(`${scheme}:// is not a drain scheme.`);
  const kind = scheme as DrainKind;
  // Non-special schemes (syslog) keep IPv6 brackets in hostname; sockets want them off.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) refuse(`${input} has no host.`);
  if (kind === 'https') return { kind, host, port: url.port ? Number(url.port) : 443, url };
  if (!url.port) refuse(`A syslog drain needs a port, as in ${scheme}://${host}:6514.`);
  if ((url.pathname && url.pathname !== '/') || url.search || url.username) refuse(`A syslog drain URL is only ${scheme}://host:port.`);
  return { kind, host, port: Number(url.port), url };
}
