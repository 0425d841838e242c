/**
 * A small token service for a distribution registry configured with `auth: token`: the
 * registry is real (docker-registry), this is the auth server it sends clients to. It
 * checks the basic credential (or lets anonymous requests pull public repositories),
 * grants the asked scope's actions the user may have, and signs a JWT with RS256 using a
 * key whose self-signed certificate (made with openssl) is the registry's rootcertbundle;
 * the token's x5c header carries the certificate, as the registry's verifier expects.
 * Every request is recorded, so tests can count token fetches.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';

export interface TokenUser {
  password: string;
  /** Actions this user may have on any repository (pull, push). */
  actions: string[];
}

export interface TokenRequest {
  user: string;
  scope: string;
  status: number;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** The certificate the registry trusts (auth.token.rootcertbundle). */
  certFile: string;
  requests: TokenRequest[];
  /** The registry's `auth:` section for this service. */
  registryAuth(): string[];
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startTokenServer(dir: string, users: Record<string, TokenUser>, publicRepos: string[] = []): Promise<TokenServer> {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'token.key');
  const certFile = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=paas test token issuer'], { stdio: 'ignore' });
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(certFile)).raw.toString('base64');
  const service = 'paas-test-registry';
  const issuer = 'paas-test-token-issuer';
  const requests: TokenRequest[] = [];

  const sign = (sub: string, access: { type: string; name: string; actions: string[] }[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certDer] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access }));
    return `${header}.${claims}.${b64url(crypto.sign('sha256', Buffer.from(`${header}.${claims}`), key))}`;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = auth ? Buffer.from(auth, 'base64').toString('utf8').split(/:(.*)/s) : ['', ''];
    const answer = (status: number, body: object): void => {
      requests.push({ user: user || '-', scope: scopes.join(' '), status });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname !== '/token' || url.searchParams.get('service') !== service) return answer(400, { errors: [{ code: 'DENIED', message: 'unknown service' }] });
    const account = user ? users[user] : undefined;
    if (user && (!account || account.password !== password)) return answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    const access = scopes.flatMap((s) => {
      const m = /^repository:(.+):([\w,]+)$/.exec(s);
      if (!m) return [];
      const name = m[1]!;
      const allowed = account ? account.actions : publicRepos.includes(name) ? ['pull'] : [];
      return [{ type: 'repository', name, actions: m[2]!.split(',').filter((a) => allowed.includes(a)) }];
    });
    const token = sign(user || '', access);
    answer(200, { token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/token`;
  return {
    realm,
    service,
    issuer,
    certFile,
    requests,
    registryAuth: () => ['token:', `  realm: ${realm}`, `  service: ${service}`, `  issuer: ${issuer}`, `  rootcertbundle: ${certFile}`],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
