/**
 * Brings an image from somewhere else (an OCI layout on disk, a registry) into the
 * store: the config and each layer are verified against their digests while they
 * stream in, gzip layers are decompressed (and checked against the config's diff
 * ids), and layers the store already has (same diff id) are not fetched at all.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { ImageTransfer } from './types';
import type { ImageStore } from './image-store';
import { ArchiveLimitError, DigestMismatchError } from './errors';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_FILES } from './layer-extract';
import { layerCompression, parseConfig, sha256Digest, type Descriptor, type OciManifest } from './image-oci';

/** Where blobs come from: a layout's blobs dir or a registry. */
export interface BlobSource {
  open(desc: Descriptor): Promise<Readable>;
}

/** Hashes and counts what flows through; fails once more than `limit` bytes pass. */
class Digester extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly limit = Infinity) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return cb(new ArchiveLimitError(`layer expands to more than ${this.limit} bytes`));
    this.hash.update(chunk);
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export async function readAll(stream: Readable, limit = 4 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > limit) throw new ArchiveLimitError(`blob larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads a small JSON blob (config, manifest) and checks its digest. */
export async function readVerified(source: BlobSource, desc: Descriptor): Promise<Buffer> {
  const data = await readAll(await source.open(desc));
  const actual = sha256Digest(data);
  if (actual !== desc.digest) throw new DigestMismatchError(`blob ${desc.digest}`, desc.digest, actual);
  return data;
}

/** Streams one layer blob into an uncompressed tarball at `out`, checking both digests. */
async function fetchLayer(source: BlobSource, desc: Descriptor, diffId: string, out: string, maxTarBytes: number): Promise<number> {
  const compressed = new Digester();
  const uncompressed = new Digester(maxTarBytes);
  const input = await source.open(desc);
  const file = createWriteStream(out, { mode: 0o600 });
  if (layerCompression(desc.mediaType) === 'gzip') await pipeline(input, compressed, createGunzip(), uncompressed, file);
  else await pipeline(input, compressed, uncompressed, file);
  const got = compressed.digest();
  if (got !== desc.digest) throw new DigestMismatchError(`layer ${desc.digest}`, desc.digest, got);
  const diff = uncompressed.digest();
  if (diff !== diffId) throw new DigestMismatchError(`layer ${desc.digest} (diff id)`, diffId, diff);
  return compressed.bytes;
}

/** Imports the image described by `manifest` from `source` and tags it `ref`. */
export async function ingestImage(store: ImageStore, source: BlobSource, manifest: OciManifest, ref: string): Promise<ImageTransfer> {
  return store.gcLock.shared(async () => {
    const configBytes = await readVerified(source, manifest.config);
    const config = parseConfig(configBytes, manifest.layers.length);
    const limits = store.options.limits ?? {};
    // Headers and padding on top of the contents: at most ~1.5 KiB per entry.
    const maxTar = (limits.maxBytes ?? DEFAULT_MAX_BYTES) + (limits.maxFiles ?? DEFAULT_MAX_FILES) * 1536 + (1 << 20);
    const counts = { layersFetched: 0, layersSkipped: 0, bytesFetched: 0 };
    for (const [i, desc] of manifest.layers.entries()) {
      const diffId = config.rootfs.diff_ids[i]!;
      layerCompression(desc.mediaType); // refuse unsupported types before any transfer
      if (await store.hasBlob(diffId)) {
        await store.ensureUnpacked(diffId);
        counts.layersSkipped++;
        continue;
      }
      const tmp = store.tmpPath('pull.tar');
      try {
        counts.bytesFetched += await fetchLayer(source, desc, diffId, tmp, maxTar);
        await store.importLayer(tmp, 'move', { diffId });
      } finally {
        await rm(tmp, { force: true });
      }
      counts.layersFetched++;
    }
    return { info: await store.writeImageWithConfig(ref, configBytes, config.rootfs.diff_ids), ...counts };
  });
}
