/**
 * paas's embedded registry: the OCI distribution protocol (the /v2/ API that docker,
 * skopeo and distribution's own registry speak) over node:http. Blob HEAD/GET,
 * monolithic and chunked uploads (POST, PATCH, PUT with digest verification), cross
 * repository mounts, manifests by tag and digest, tag lists, the catalog; errors in the
 * protocol's JSON shape. Authentication: HTTP basic, any user name, the password being
 * the token given at start (anonymous reads only when `anonymousRead` is set).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DIGEST_RE, INDEX_TYPES, MANIFEST_TYPES, parseManifest, sha256Digest, type OciIndex } from './image-oci';
import { readAll } from './image-ingest';
import { NAME_RE, RegistryStorage, TAG_RE } from './registry-storage';

export interface RegistryOptions {
  /** Storage directory (created). */
  dir: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every request must carry it as the basic-auth password. */
  token?: string;
  /** Let GET/HEAD through without the token. Default false. */
  anonymousRead?: boolean;
  /** Largest blob an upload may grow to (disk fillers). Default 8 GiB. */
  maxBlobBytes?: number;
}

export interface RegistryStats {
  blobGets: number;
  blobBytesSent: number;
  blobUploads: number;
  blobBytesReceived: number;
}

export interface RegistryHandle {
  url: string;
  port: number;
  /** Counters since start (tests prove that nothing is transferred twice). */
  readonly stats: RegistryStats;
  close(): Promise<void>;
}

type Reply = { status: number; headers?: Record<string, string | number>; body?: Buffer | NodeJS.ReadableStream };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const given = Buffer.from(decoded.slice(decoded.indexOf(':') + 1));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

const json = (status: number, value: unknown, headers: Record<string, string | number> = {}): Reply => {
  const body = Buffer.from(JSON.stringify(value));
  return { status, headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers }, body };
};

export async function startRegistry(options: RegistryOptions): Promise<RegistryHandle> {
  const store = new RegistryStorage(options.dir);
  await store.init();
  const stats: RegistryStats = { blobGets: 0, blobBytesSent: 0, blobUploads: 0, blobBytesReceived: 0 };

  const uploadHeaders = (name: string, uuid: string, size: number): Record<string, string | number> => ({
    Location: `/v2/${name}/blobs/uploads/${uuid}`,
    Range: `0-${Math.max(size - 1, 0)}`,
    'Docker-Upload-UUID': uuid,
    'Content-Length': 0,
  });
  const blobCreated = (name: string, digest: string): Reply => ({
    status: 201,
    headers: { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 },
  });

  async function finish(name: string, uuid: string, digest: string | null): Promise<Reply> {
    if (!digest || !DIGEST_RE.test(digest)) throw new HttpError(400, 'DIGEST_INVALID', 'a sha256 digest parameter is required');
    const actual = await store.finishUpload(uuid, digest);
    if (actual !== digest) {
      await store.cancelUpload(uuid);
      throw new HttpError(400, 'DIGEST_INVALID', `content has digest ${actual}, not ${digest}`);
    }
    stats.blobUploads++;
    return blobCreated(name, digest);
  }

  async function receive(uuid: string, req: IncomingMessage): Promise<number> {
    const before = (await store.uploadSize(uuid)) ?? 0;
    const after = await store.appendUpload(uuid, req, options.maxBlobBytes ?? 8 * 1024 ** 3).catch(async (err: unknown) => {
      await store.cancelUpload(uuid);
      throw err;
    });
    stats.blobBytesReceived += after - before;
    return after;
  }

  async function blobs(req: IncomingMessage, name: string, digest: string): Promise<Reply> {
    const size = await store.blobSize(digest);
    if (size === undefined) throw new HttpError(404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
    const headers = { 'Content-Length': size, 'Docker-Content-Digest': digest, 'Content-Type': 'application/octet-stream' };
    if (req.method === 'HEAD') return { status: 200, headers };
    if (req.method !== 'GET') throw new HttpError(405, 'UNSUPPORTED', `${req.method} on a blob`);
    stats.blobGets++;
    stats.blobBytesSent += size;
    return { status: 200, headers, body: store.openBlob(digest) };
  }

  async function uploads(req: IncomingMessage, url: URL, name: string, uuid: string | undefined): Promise<Reply> {
    if (uuid === undefined) {
      if (req.method !== 'POST') throw new HttpError(405, 'UNSUPPORTED', `${req.method} on uploads`);
      const mount = url.searchParams.get('mount');
      if (mount && DIGEST_RE.test(mount) && (await store.blobSize(mount)) !== undefined) return blobCreated(name, mount);
      const id = await store.startUpload();
      const digest = url.searchParams.get('digest');
      if (digest !== null) {
        await receive(id, req);
        return finish(name, id, digest);
      }
      return { status: 202, headers: uploadHeaders(name, id, 0) };
    }
    const size = await store.uploadSize(uuid);
    if (size === undefined) throw new HttpError(404, 'BLOB_UPLOAD_UNKNOWN', `upload unknown: ${uuid}`);
    switch (req.method) {
      case 'GET':
        return { status: 204, headers: uploadHeaders(name, uuid, size) };
      case 'DELETE':
        await store.cancelUpload(uuid);
        return { status: 204 };
      case 'PATCH': {
        const range = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
        if (range && Number(range[1]) !== size) throw new HttpError(416, 'BLOB_UPLOAD_INVALID', `chunk starts at ${range[1]}, upload has ${size} bytes`);
        return { status: 202, headers: uploadHeaders(name, uuid, await receive(uuid, req)) };
      }
      case 'PUT':
        await receive(uuid, req);
        return finish(name, uuid, url.searchParams.get('digest'));
      default:
        throw new HttpError(405, 'UNSUPPORTED', `${req.method} on an upload`);
    }
  }

  async function manifests(req: IncomingMessage, name: string, reference: string): Promise<Reply> {
    if (!DIGEST_RE.test(reference) && !TAG_RE.test(reference)) throw new HttpError(400, 'TAG_INVALID', `invalid tag or digest: ${reference}`);
    if (req.method === 'GET' || req.method === 'HEAD') {
      const m = await store.getManifest(name, reference);
      if (!m) throw new HttpError(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
      const headers = { 'Content-Type': m.mediaType, 'Content-Length': m.data.length, 'Docker-Content-Digest': m.digest };
      return { status: 200, headers, body: req.method === 'GET' ? m.data : undefined };
    }
    if (req.method !== 'PUT') throw new HttpError(405, 'UNSUPPORTED', `${req.method} on a manifest`);
    const data = await readAll(req);
    const digest = sha256Digest(data);
    if (DIGEST_RE.test(reference) && reference !== digest) throw new HttpError(400, 'DIGEST_INVALID', `manifest has digest ${digest}, not ${reference}`);
    let parsed: { mediaType?: string };
    try {
      parsed = JSON.parse(data.toString('utf8')) as { mediaType?: string };
    } catch {
      throw new HttpError(400, 'MANIFEST_INVALID', 'manifest is not JSON');
    }
    const mediaType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim() || parsed.mediaType || '';
    if (INDEX_TYPES.includes(mediaType)) {
      for (const m of (parsed as OciIndex).manifests ?? []) {
        if (!(await store.getManifest(name, m.digest))) throw new HttpError(400, 'MANIFEST_UNKNOWN', `index refers to unknown manifest ${m.digest}`);
      }
    } else if (MANIFEST_TYPES.includes(mediaType)) {
      let manifest;
      try {
        manifest = parseManifest(data);
      } catch (err) {
        throw new HttpError(400, 'MANIFEST_INVALID', (err as Error).message);
      }
      for (const d of [manifest.config, ...manifest.layers]) {
        if ((await store.blobSize(d.digest)) === undefined) throw new HttpError(400, 'MANIFEST_BLOB_UNKNOWN', `blob unknown: ${d.digest}`);
      }
    } else {
      throw new HttpError(400, 'MANIFEST_INVALID', `unsupported manifest media type: ${mediaType || '(none)'}`);
    }
    await store.putManifest(name, reference, data, mediaType);
    return { status: 201, headers: { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 } };
  }

  async function route(req: IncomingMessage, url: URL): Promise<Reply> {
    const path = url.pathname;
    if (path === '/v2/' || path === '/v2') return json(200, {});
    if (path === '/v2/_catalog') return json(200, { repositories: await store.repositories() });
    let m: RegExpExecArray | null;
    const named = (re: RegExp): RegExpExecArray | null => {
      const r = re.exec(path);
      if (r && !NAME_RE.test(r[1]!)) throw new HttpError(400, 'NAME_INVALID', `invalid repository name: ${r[1]}`);
      return r;
    };
    if ((m = named(/^\/v2\/(.+)\/tags\/list$/))) {
      const tags = await store.tags(m[1]!);
      if (!tags) throw new HttpError(404, 'NAME_UNKNOWN', `repository unknown: ${m[1]}`);
      const last = url.searchParams.get('last');
      const n = Number(url.searchParams.get('n') ?? Infinity);
      return json(200, { name: m[1], tags: tags.filter((t) => last === null || t > last).slice(0, n) });
    }
    if ((m = named(/^\/v2\/(.+)\/manifests\/([^/]+)$/))) return manifests(req, m[1]!, m[2]!);
    if ((m = named(/^\/v2\/(.+)\/blobs\/uploads\/?$/))) return uploads(req, url, m[1]!, undefined);
    if ((m = named(/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/))) return uploads(req, url, m[1]!, m[2]!);
    if ((m = named(/^\/v2\/(.+)\/blobs\/([^/]+)$/))) {
      if (!DIGEST_RE.test(m[2]!)) throw new HttpError(400, 'DIGEST_INVALID', `invalid digest: ${m[2]}`);
      return blobs(req, m[1]!, m[2]!);
    }
    throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${path}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      const readOnly = req.method === 'GET' || req.method === 'HEAD';
      if (options.token !== undefined && !(readOnly && options.anonymousRead) && !authorized(req, options.token)) {
        throw new HttpError(401, 'UNAUTHORIZED', 'authentication required');
      }
      reply = await route(req, new URL(req.url ?? '/', 'http://registry'));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const e =
        err instanceof HttpError
          ? err
          : code === 'archive_too_large'
            ? new HttpError(413, 'SIZE_INVALID', (err as Error).message)
            : new HttpError(500, 'UNKNOWN', (err as Error).message);
      reply = json(e.status, { errors: [{ code: e.code, message: e.message, detail: null }] });
      if (e.status === 401) reply.headers!['WWW-Authenticate'] = 'Basic realm="paas-registry"';
    }
    req.resume(); // drain any body the route did not read
    res.writeHead(reply.status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...reply.headers });
    if (req.method === 'HEAD' || !reply.body) res.end();
    else if (Buffer.isBuffer(reply.body)) res.end(reply.body);
    else reply.body.on('error', () => res.destroy()).pipe(res);
  }

  const server = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
