/**
 * The engine's registry client (OCI distribution protocol) over node:http/https: push
 * an image from the store (HEAD first, so blobs the registry has are never sent) and
 * pull one into it (layers whose diff id the host already has are never fetched).
 * Authentication: HTTP basic, or the distribution token flow when the registry answers
 * with a Bearer challenge (registry-auth.ts). Layers are pushed as stored (uncompressed OCI tars);
 * gzip and Docker media types are accepted when pulling.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ImageTransfer, PushResult, RegistryCredentials } from './types';
import type { ImageStore } from './image-store';
import { DigestMismatchError, RegistryError, UnsupportedImageError } from './errors';
import {
  DIGEST_RE, INDEX_TYPES, MANIFEST_TYPES, MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST, parseManifest,
  pickPlatform, sha256Digest, type Descriptor, type OciIndex,
} from './image-oci';
import { ingestImage, readAll } from './image-ingest';
import {
  cachedToken, dropToken, fetchToken, knownChallenge, parseWwwAuthenticate, rememberChallenge, repositoryOfPath, repositoryScope,
  type Challenge, type RegistryAction,
} from './registry-auth';

interface RequestOptions {
  headers?: Record<string, string | number>;
  /** A function for streamed bodies, so a request answered 401 can be sent again with a token. */
  body?: Buffer | (() => Readable);
}

/** "repo:tag" or "repo@sha256:…" → name and reference. */
export function parseRemoteRef(ref: string): { name: string; reference: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { name: ref.slice(0, at), reference: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), reference: ref.slice(colon + 1) } : { name: ref, reference: 'latest' };
}

export class RegistryClient {
  /**
   * `actions` is what this client does to the repositories it names: a Bearer token is
   * asked for them all at once (a push's HEADs use the same pull,push token as its PUTs).
   */
  constructor(
    readonly baseUrl: string,
    private readonly credentials?: RegistryCredentials,
    private readonly actions: readonly RegistryAction[] = ['pull'],
  ) {}

  /** The Authorization header for `url`: a cached or fresh Bearer token when the registry wants one, else basic. */
  private async authorization(url: URL, fresh: Challenge | undefined): Promise<string | undefined> {
    if (url.host !== new URL(this.baseUrl).host) return undefined; // blob storage a redirect points at: its URL is the credential
    const repository = repositoryOfPath(url.pathname);
    const scope = repository ? repositoryScope(repository, this.actions) : '';
    if (fresh) dropToken(this.baseUrl, this.credentials, scope);
    const challenge = fresh ?? knownChallenge(this.baseUrl);
    if (challenge) {
      const token = cachedToken(this.baseUrl, this.credentials, scope) ?? (await fetchToken(this.baseUrl, challenge, this.credentials, scope || undefined));
      return `Bearer ${token}`;
    }
    if (this.credentials) return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    return undefined;
  }

  /**
   * One request; follows redirects (blob storage elsewhere); a 401 with a Bearer challenge
   * is answered once with a token (registry-auth.ts); other non-2xx become RegistryError.
   */
  async request(method: string, target: string, options: RequestOptions = {}, redirects = 3, challenge?: Challenge): Promise<IncomingMessage> {
    const url = new URL(target, this.baseUrl);
    const headers: Record<string, string | number> = { ...options.headers };
    const auth = await this.authorization(url, challenge);
    if (auth) headers.Authorization = auth;
    if (Buffer.isBuffer(options.body)) headers['Content-Length'] = options.body.length;
    const lib = url.protocol === 'https:' ? https : http;
    const body = typeof options.body === 'function' ? options.body() : options.body;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: false }, resolve);
      req.on('error', reject);
      if (!body) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else body.on('error', (err) => req.destroy(err)).pipe(req);
    });
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location && redirects > 0 && method === 'GET') {
      res.resume();
      return this.request(method, new URL(res.headers.location, url).toString(), options, redirects - 1);
    }
    if (status >= 200 && status < 300) return res;
    const bearer = status === 401 ? parseWwwAuthenticate(String(res.headers['www-authenticate'] ?? '')).find((c) => c.scheme === 'bearer') : undefined;
    if (bearer && !challenge) {
      res.resume();
      rememberChallenge(this.baseUrl, bearer);
      return this.request(method, target, options, redirects, bearer);
    }
    const text = method === 'HEAD' ? '' : (await readAll(res).catch(() => Buffer.alloc(0))).toString('utf8');
    let detail = text.slice(0, 500);
    try {
      const parsed = JSON.parse(text) as { errors?: { code: string; message: string }[] };
      if (parsed.errors) detail = parsed.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    } catch {
      // not the protocol's JSON: keep the raw text
    }
    if (status === 401 || status === 403) {
      const who = this.credentials ? `the credentials of user '${this.credentials.username}'` : 'a request without credentials';
      throw new RegistryError(status, `the registry at ${this.baseUrl} refused ${who} (${method} ${url.pathname}: ${status}${detail ? ` ${detail}` : ''})`);
    }
    throw new RegistryError(status, `registry ${method} ${url.pathname}: ${status}${detail ? ` ${detail}` : ''}`);
  }

  /** True when the registry has the blob (HEAD). */
  async hasBlob(name: string, digest: string): Promise<boolean> {
    try {
      (await this.request('HEAD', `/v2/${name}/blobs/${digest}`)).resume();
      return true;
    } catch (err) {
      if (err instanceof RegistryError && err.httpStatus === 404) return false;
      throw err;
    }
  }

  /** POST then a single PUT with the whole blob (monolithic upload). */
  async uploadBlob(name: string, digest: string, size: number, open: () => Readable): Promise<void> {
    const start = await this.request('POST', `/v2/${name}/blobs/uploads/`, { headers: { 'Content-Length': 0 } });
    start.resume();
    const location = start.headers.location;
    if (!location) throw new RegistryError(502, 'registry gave no upload location');
    const put = new URL(location, this.baseUrl);
    put.searchParams.set('digest', digest);
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': size };
    (await this.request('PUT', put.toString(), { headers, body: open })).resume();
  }

  async putManifest(name: string, reference: string, data: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'Content-Type': mediaType }, body: data });
    res.resume();
    return String(res.headers['docker-content-digest'] ?? sha256Digest(data));
  }

  /** The manifest (or index) bytes and media type; the digest is checked when asked for by digest. */
  async getManifest(name: string, reference: string): Promise<{ data: Buffer; mediaType: string }> {
    const accept = [MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST].join(', ');
    const res = await this.request('GET', `/v2/${name}/manifests/${reference}`, { headers: { Accept: accept } });
    const data = await readAll(res);
    const actual = sha256Digest(data);
    const claimed = DIGEST_RE.test(reference) ? reference : res.headers['docker-content-digest'];
    if (typeof claimed === 'string' && claimed !== actual) throw new DigestMismatchError(`manifest ${name}:${reference}`, claimed, actual);
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim() || ((JSON.parse(data.toString('utf8')) as { mediaType?: string }).mediaType ?? '');
    return { data, mediaType };
  }

  async openBlob(name: string, desc: Descriptor): Promise<Readable> {
    return this.request('GET', `/v2/${name}/blobs/${desc.digest}`);
  }
}

/** Pushes local image `ref` to `registryUrl` as `target` ("repo:tag"). */
export async function pushImage(
  store: ImageStore,
  ref: string,
  registryUrl: string,
  target: string,
  credentials?: RegistryCredentials,
): Promise<PushResult> {
  const client = new RegistryClient(registryUrl, credentials, ['pull', 'push']);
  const { name, reference } = parseRemoteRef(target);
  const img = await store.stored(ref);
  const result: PushResult = { digest: img.digest, blobsPushed: 0, blobsSkipped: 0, bytesPushed: 0 };
  for (const d of [...img.manifest.layers, img.manifest.config]) {
    if (await client.hasBlob(name, d.digest)) {
      result.blobsSkipped++;
      continue;
    }
    await client.uploadBlob(name, d.digest, d.size, () => createReadStream(store.blobPath(d.digest)));
    result.blobsPushed++;
    result.bytesPushed += d.size;
  }
  await client.putManifest(name, reference, img.manifestBytes, img.manifest.mediaType ?? MT_OCI_MANIFEST);
  return result;
}

/** Pulls `source` ("repo:tag" or "repo@sha256:…") from `registryUrl` into the store as `ref`. */
export async function pullImage(
  store: ImageStore,
  registryUrl: string,
  source: string,
  ref: string,
  credentials?: RegistryCredentials,
): Promise<ImageTransfer> {
  const client = new RegistryClient(registryUrl, credentials);
  const { name, reference } = parseRemoteRef(source);
  let got = await client.getManifest(name, reference);
  if (INDEX_TYPES.includes(got.mediaType)) {
    const desc = pickPlatform(JSON.parse(got.data.toString('utf8')) as OciIndex);
    got = await client.getManifest(name, desc.digest);
  }
  if (!MANIFEST_TYPES.includes(got.mediaType) && got.mediaType !== '') {
    throw new UnsupportedImageError(`unsupported manifest media type from registry: ${got.mediaType}`);
  }
  const manifest = parseManifest(got.data);
  return ingestImage(store, { open: (desc) => client.openBlob(name, desc) }, manifest, ref);
}
