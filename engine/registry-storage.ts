/**
 * The embedded registry's storage: blobs content-addressed (blobs/sha256/<hex>, shared
 * by every repository), uploads in progress (uploads/<uuid>), and per repository its
 * manifests (repositories/<name>/manifests/<hex> holds the media type) and tags
 * (repositories/<name>/tags/<tag> holds the digest). Every write is atomic.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArchiveLimitError } from './errors';
import { exists, writeFileAtomic } from './fs-util';
import { DIGEST_RE, sha256Digest } from './image-oci';

export const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UUID_RE = /^[a-f0-9-]{36}$/;

export class RegistryStorage {
  constructor(readonly dir: string) {}

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'uploads', 'repositories']) await mkdir(join(this.dir, d), { recursive: true });
  }

  blobPath(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new Error(`bad digest ${digest}`);
    return join(this.dir, 'blobs', 'sha256', digest.slice(7));
  }

  /** The blob's size, or undefined when it is not stored. */
  async blobSize(digest: string): Promise<number | undefined> {
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  openBlob(digest: string): Readable {
    return createReadStream(this.blobPath(digest));
  }

  private uploadPath(uuid: string): string {
    if (!UUID_RE.test(uuid)) throw new Error(`bad upload id ${uuid}`);
    return join(this.dir, 'uploads', uuid);
  }

  async startUpload(): Promise<string> {
    const uuid = randomUUID();
    await writeFileAtomic(this.uploadPath(uuid), '');
    return uuid;
  }

  /** Bytes received so far, or undefined for an unknown upload. */
  async uploadSize(uuid: string): Promise<number | undefined> {
    if (!UUID_RE.test(uuid)) return undefined;
    return (await stat(this.uploadPath(uuid)).catch(() => undefined))?.size;
  }

  /** Appends `body`; fails (ArchiveLimitError) once the upload would pass `maxBytes`. */
  async appendUpload(uuid: string, body: Readable, maxBytes = Infinity): Promise<number> {
    let size = (await stat(this.uploadPath(uuid))).size;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(size > maxBytes ? new ArchiveLimitError(`blob upload larger than ${maxBytes} bytes`) : null, chunk);
      },
    });
    await pipeline(body, limit, createWriteStream(this.uploadPath(uuid), { flags: 'a' }));
    return size;
  }

  /** Moves a finished upload into the blob store if its content has `digest`; returns the actual digest. */
  async finishUpload(uuid: string, digest: string): Promise<string> {
    const path = this.uploadPath(uuid);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) return actual;
    if (await exists(this.blobPath(digest))) await rm(path, { force: true });
    else await rename(path, this.blobPath(digest));
    return actual;
  }

  async cancelUpload(uuid: string): Promise<void> {
    await rm(this.uploadPath(uuid), { force: true });
  }

  private repo(name: string): string {
    if (!NAME_RE.test(name)) throw new Error(`bad repository name ${name}`);
    return join(this.dir, 'repositories', name);
  }

  async putManifest(name: string, reference: string, data: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(data);
    await mkdir(join(this.repo(name), 'manifests'), { recursive: true });
    await mkdir(join(this.repo(name), 'tags'), { recursive: true });
    if (!(await exists(this.blobPath(digest)))) await writeFileAtomic(this.blobPath(digest), data);
    await writeFileAtomic(join(this.repo(name), 'manifests', digest.slice(7)), mediaType);
    if (!DIGEST_RE.test(reference)) await writeFileAtomic(join(this.repo(name), 'tags', reference), digest);
    return digest;
  }

  /** A manifest of repository `name` by tag or digest. */
  async getManifest(name: string, reference: string): Promise<{ data: Buffer; mediaType: string; digest: string } | undefined> {
    const digest = DIGEST_RE.test(reference)
      ? reference
      : TAG_RE.test(reference)
        ? await readFile(join(this.repo(name), 'tags', reference), 'utf8').catch(() => undefined)
        : undefined;
    if (!digest) return undefined;
    const mediaType = await readFile(join(this.repo(name), 'manifests', digest.slice(7)), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    return { data: await readFile(this.blobPath(digest)), mediaType, digest };
  }

  /** Sorted tags, or undefined when the repository does not exist. */
  async tags(name: string): Promise<string[] | undefined> {
    const tags = await readdir(join(this.repo(name), 'tags')).catch(() => undefined);
    return tags?.filter((t) => TAG_RE.test(t)).sort();
  }

  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await readdir(join(this.dir, 'repositories', rel), { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.name === 'tags')) out.push(rel);
      for (const e of entries) if (e.isDirectory() && !['tags', 'manifests'].includes(e.name)) await walk(rel ? `${rel}/${e.name}` : e.name);
    };
    await walk('');
    return out.sort();
  }
}
