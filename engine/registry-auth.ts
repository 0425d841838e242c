/**
 * The OCI distribution token flow, as external registries use it (Docker Hub, GitLab,
 * Harbor, distribution with `auth: token`): a 401 names a Bearer challenge (`realm`,
 * `service`, `scope`); the client GETs the realm with its basic credential (or none, for
 * anonymous pulls), receives a short-lived token for one repository's pull or push, and
 * retries with `Authorization: Bearer`. Tokens are cached per registry, credential and
 * scope until shortly before they expire, so a push's many requests fetch one token.
 * Parsing the challenge and building scopes are pure (registry-auth.test.ts).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { RegistryError } from './errors';
import { readAll } from './image-ingest';
import type { RegistryCredentials } from './types';

export interface Challenge {
  /** Lower-cased: "bearer", "basic". */
  scheme: string;
  params: Record<string, string>;
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/;

/**
 * `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme and comma-separated
 * `name=value` params whose values may be quoted strings holding commas
 * (`scope="repository:a/b:pull,push"`).
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let rest = header.trim();
  while (rest) {
    const scheme = TOKEN.exec(rest)?.[0];
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    rest = rest.slice(scheme.length).trimStart();
    // Params until the next thing that is a bare token not followed by '=' (the next challenge).
    while (rest) {
      const name = TOKEN.exec(rest)?.[0];
      if (!name) {
        const stripped = rest.replace(/^[,\s]+/, '');
        if (stripped === rest) return out; // not a header this parser understands past here
        rest = stripped;
        continue;
      }
      const after = rest.slice(name.length).trimStart();
      if (!after.startsWith('=')) break;
      let value: string;
      let tail = after.slice(1).trimStart();
      if (tail.startsWith('"')) {
        value = '';
        let i = 1;
        for (; i < tail.length && tail[i] !== '"'; i++) value += tail[i] === '\\' ? tail[++i] ?? '' : tail[i];
        tail = tail.slice(i + 1);
      } else {
        value = TOKEN.exec(tail)?.[0] ?? '';
        tail = tail.slice(value.length);
      }
      challenge.params[name.toLowerCase()] = value;
      rest = tail.replace(/^[\s]*,?[\s]*/, '');
    }
  }
  return out;
}

export type RegistryAction = 'pull' | 'push';

/** `repository:team/app:pull,push`, the scope a token for one repository is asked for. */
export function repositoryScope(name: string, actions: readonly RegistryAction[]): string {
  return `repository:${name}:${[...new Set(actions)].join(',')}`;
}

/** The repository a /v2/ path is about (`/v2/team/app/blobs/…` → team/app); undefined for `/v2/` itself. */
export function repositoryOfPath(pathname: string): string | undefined {
  return /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(pathname)?.[1];
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Process-wide: every push and pull of this process shares tokens, as docker's daemon does. */
const tokens = new Map<string, CachedToken>();
/** Registries known to answer with a Bearer challenge: later requests get a token before sending a body. */
const bearerRealms = new Map<string, Challenge>();
const MAX_TOKENS = 1000;

function cacheKey(registry: string, credentials: RegistryCredentials | undefined, scope: string): string {
  const who = credentials ? `${credentials.username}:${crypto.createHash('sha256').update(credentials.password).digest('hex')}` : '-';
  return `${registry} ${who} ${scope}`;
}

/** The Bearer challenge this registry gave before, if any. */
export function knownChallenge(registry: string): Challenge | undefined {
  return bearerRealms.get(registry);
}

export function rememberChallenge(registry: string, challenge: Challenge): void {
  bearerRealms.set(registry, challenge);
}

export function cachedToken(registry: string, credentials: RegistryCredentials | undefined, scope: string): string | undefined {
  const hit = tokens.get(cacheKey(registry, credentials, scope));
  if (hit && hit.expiresAt > Date.now()) return hit.token;
  return undefined;
}

/** Forgets a token the registry refused (it was revoked, or the clock is off): the next request fetches a fresh one. */
export function dropToken(registry: string, credentials: RegistryCredentials | undefined, scope: string): void {
  tokens.delete(cacheKey(registry, credentials, scope));
}

/**
 * Fetches a token from the challenge's realm for `scope`, sending the basic credential
 * when there is one (anonymous otherwise), and caches it. A refusal is a RegistryError
 * that names the registry and the realm.
 */
export async function fetchToken(registry: string, challenge: Challenge, credentials: RegistryCredentials | undefined, scope: string | undefined): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new RegistryError(502, `the registry at ${registry} asked for a Bearer token but named no realm to get it from`);
  const url = new URL(realm, registry);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  if (scope) url.searchParams.set('scope', scope);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (credentials) headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const lib = url.protocol === 'https:' ? https : http;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    lib.get(url, { headers, agent: false }, resolve).on('error', (err) => reject(new RegistryError(502, `the token service ${url.origin}${url.pathname} of the registry at ${registry} is unreachable: ${err.message}`)));
  });
  const body = (await readAll(res)).toString('utf8');
  const status = res.statusCode ?? 0;
  if (status === 401 || status === 403) {
    const who = credentials ? `the credentials of user '${credentials.username}'` : 'an anonymous request (no credentials are set)';
    throw new RegistryError(401, `the registry at ${registry} refused ${who}: its token service ${url.origin}${url.pathname} answered ${status}${body ? ` ${body.slice(0, 200).trim()}` : ''}`);
  }
  if (status < 200 || status >= 300) {
    throw new RegistryError(status, `the token service ${url.origin}${url.pathname} of the registry at ${registry} answered ${status}${body ? ` ${body.slice(0, 200).trim()}` : ''}`);
  }
  let parsed: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new RegistryError(502, `the token service ${url.origin}${url.pathname} of the registry at ${registry} did not answer JSON`);
  }
  const token = parsed.token ?? parsed.access_token;
  if (!token) throw new RegistryError(502, `the token service ${url.origin}${url.pathname} of the registry at ${registry} gave no token`);
  // The spec's default lifetime is 60 s; refresh 10 s early so a token does not lapse mid-request.
  const lifetimeS = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60;
  const issued = parsed.issued_at ? Date.parse(parsed.issued_at) : NaN;
  const from = Number.isFinite(issued) && issued <= Date.now() ? issued : Date.now();
  if (tokens.size >= MAX_TOKENS) {
    for (const [k, v] of tokens) if (v.expiresAt <= Date.now()) tokens.delete(k);
    if (tokens.size >= MAX_TOKENS) tokens.clear();
  }
  tokens.set(cacheKey(registry, credentials, scope ?? ''), { token, expiresAt: from + Math.max(lifetimeS - 10, lifetimeS / 2) * 1000 });
  return token;
}
