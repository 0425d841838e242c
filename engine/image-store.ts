/**
 * The local OCI image store, laid out as an OCI image layout under <dataDir>/images:
 *   blobs/sha256/<hex>   layer tarballs (uncompressed), image configs, manifests
 *   layers/<diffid-hex>/ each layer unpacked once, shared read-only by every image and
 *                        container that uses it (overlayfs lower dirs)
 *   index.json           the tags (org.opencontainers.image.ref.name), written atomically
 * Layers are uncompressed, so a layer blob's digest is also its diff id.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig, ImageInfo } from './types';
import { ImageInUseError, ImageNotFoundError } from './errors';
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from './fs-util';
import { extractLayer, sha256File, tarDirectory } from './layer-archive';
import type { ExtractOptions } from './layer-extract';
import { execRaw } from './exec';
import { KeyedMutex } from '../shared/keyed-mutex';
import { mergeImageConfig } from './image-config';
import { SharedExclusiveLock } from './image-lock';
import {
  MT_OCI_CONFIG, MT_OCI_LAYER, MT_OCI_MANIFEST, REF_ANNOTATION, hexOf, hostPlatform, parseManifest, sha256Digest,
  type Descriptor, type OciImageConfig, type OciIndex, type OciManifest,
} from './image-oci';

export interface ImageStoreOptions {
  /** Limits for unpacking untrusted layers (defaults: 10,000 entries, 1 GiB). */
  limits?: Pick<ExtractOptions, 'maxFiles' | 'maxBytes'>;
  /** Image refs of the containers that exist, with the container ids (removeImage, gc). */
  inUse?: () => Iterable<{ image: string; container: string }>;
}

/** A stored image as OCI sees it: the manifest's own bytes (its digest) and the config's. */
export interface StoredImage {
  ref: string;
  digest: string;
  manifest: OciManifest;
  manifestBytes: Buffer;
  configBytes: Buffer;
}

export class ImageStore {
  private readonly locks = new KeyedMutex();
  /** Shared by operations that add content, exclusive for gc. */
  readonly gcLock = new SharedExclusiveLock();
  /**
   * Layers imported but not yet in a written image, with when: gc keeps them for an
   * hour, so callers that import then write outside gcLock (commits, builds) are safe.
   */
  private readonly fresh = new Map<string, number>();

  constructor(
    readonly root: string,
    readonly options: ImageStoreOptions = {},
  ) {}

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'layers', 'tmp']) await mkdir(join(this.root, d), { recursive: true });
    const layout = join(this.root, 'oci-layout');
    if (!(await exists(layout))) await writeJsonAtomic(layout, { imageLayoutVersion: '1.0.0' });
    if (!(await exists(this.indexPath))) await writeJsonAtomic(this.indexPath, { schemaVersion: 2, manifests: [] });
  }

  get indexPath(): string {
    return join(this.root, 'index.json');
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  /** Directory holding the unpacked layer with this diff id. */
  layerDir(diffId: string): string {
    return join(this.root, 'layers', hexOf(diffId));
  }

  tmpPath(name: string): string {
    return join(this.root, 'tmp', `${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** Stores bytes as a blob (configs, manifests) under their digest. */
  async putBlob(data: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(data);
    if (!(await exists(this.blobPath(digest)))) await writeFileAtomic(this.blobPath(digest), data);
    return { digest, size: data.length };
  }

  async hasBlob(digest: string): Promise<boolean> {
    return exists(this.blobPath(digest));
  }

  /**
   * Adds a layer tarball to the store and unpacks it (once). `mode` says how the file
   * gets there: moved (our own temp files), hard-linked when possible (the host-wide
   * stack cache), or copied. A caller that knows the digest, or has the layer unpacked
   * already on the same filesystem (`seed`, hard-linked: ~7x faster than untarring),
   * can say so.
   */
  async importLayer(
    tarPath: string,
    mode: 'move' | 'link',
    known: { diffId?: string; seed?: string; trusted?: boolean } = {},
  ): Promise<string> {
    const diffId = known.diffId ?? `sha256:${await sha256File(tarPath)}`;
    const blob = this.blobPath(diffId);
    if (await exists(blob)) {
      if (mode === 'move') await rm(tarPath, { force: true });
    } else if (mode === 'move') {
      await rename(tarPath, blob);
    } else {
      const tmp = this.tmpPath('blob');
      await link(tarPath, tmp).catch(() => copyFile(tarPath, tmp));
      await rename(tmp, blob);
    }
    this.fresh.set(diffId, Date.now());
    await this.ensureUnpacked(diffId, known.seed, known.trusted);
    return diffId;
  }

  /** Unpacks a stored layer blob into layers/<hex>/ unless that was done before. */
  async ensureUnpacked(diffId: string, seed?: string, trusted = false): Promise<string> {
    const dir = this.layerDir(diffId);
    return this.locks.run(`layer:${diffId}`, async () => {
      if (await exists(dir)) return dir;
      if (seed) {
        // Layers are never written after unpacking, so sharing inodes with the seed is safe.
        const tmp = this.tmpPath('layer');
        const r = await execRaw('cp', ['-al', seed, tmp]);
        if (r.code === 0) {
          await rename(tmp, dir);
          return dir;
        }
        await rm(tmp, { recursive: true, force: true });
      }
      await extractLayer(this.blobPath(diffId), dir, { ...this.options.limits, trusted });
      return dir;
    });
  }

  /** Writes config + manifest blobs and points `ref` at the manifest. */
  async writeImage(ref: string, diffIds: string[], config: ImageConfig): Promise<ImageInfo> {
    const cfg: OciImageConfig = { ...hostPlatform(), created: new Date().toISOString(), config, rootfs: { type: 'layers', diff_ids: diffIds } };
    return this.writeImageWithConfig(ref, Buffer.from(JSON.stringify(cfg)), diffIds);
  }

  /**
   * Tags `ref` as an image of these (stored, uncompressed) layers with this config blob,
   * kept byte for byte (imports and pulls keep the image's history and other fields).
   */
  async writeImageWithConfig(ref: string, configBytes: Buffer, diffIds: string[]): Promise<ImageInfo> {
    for (const d of diffIds) this.fresh.delete(d);
    const cfgDesc = await this.putBlob(configBytes);
    const layers: Descriptor[] = [];
    for (const d of diffIds) layers.push({ mediaType: MT_OCI_LAYER, digest: d, size: (await stat(this.blobPath(d))).size });
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MT_OCI_MANIFEST,
      config: { mediaType: MT_OCI_CONFIG, ...cfgDesc },
      layers,
    };
    const man = await this.putBlob(Buffer.from(JSON.stringify(manifest)));
    await this.locks.run('index', async () => {
      const index = (await readJson<OciIndex>(this.indexPath)) ?? { schemaVersion: 2, manifests: [] };
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== ref);
      index.manifests.push({ mediaType: MT_OCI_MANIFEST, ...man, annotations: { [REF_ANNOTATION]: ref } });
      await writeJsonAtomic(this.indexPath, index);
    });
    return this.load(ref, man.digest);
  }

  /** The manifest and config of a tagged image, as stored (export, push). */
  async stored(ref: string): Promise<StoredImage> {
    const info = await this.require(ref);
    const manifestBytes = await readFile(this.blobPath(info.digest));
    const manifest = parseManifest(manifestBytes);
    return { ref, digest: info.digest, manifest, manifestBytes, configBytes: await readFile(this.blobPath(manifest.config.digest)) };
  }

  /** Layers imported within `maxAgeMs` that no written image references yet. */
  pendingLayers(maxAgeMs = 3_600_000): string[] {
    const now = Date.now();
    return [...this.fresh].filter(([, at]) => now - at < maxAgeMs).map(([d]) => d);
  }

  /** Containers (ids) whose image is `ref`. */
  usersOf(ref: string): string[] {
    return [...(this.options.inUse?.() ?? [])].filter((u) => u.image === ref).map((u) => u.container);
  }

  /** Untags `ref`; refuses while a container uses it unless `force`. Content stays until gc(). */
  async remove(ref: string, force = false): Promise<void> {
    const users = this.usersOf(ref);
    if (users.length > 0 && !force) throw new ImageInUseError(ref, users);
    await this.locks.run('index', async () => {
      const index = (await readJson<OciIndex>(this.indexPath)) ?? { schemaVersion: 2, manifests: [] };
      const kept = index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== ref);
      if (kept.length === index.manifests.length) throw new ImageNotFoundError(ref);
      await writeJsonAtomic(this.indexPath, { ...index, manifests: kept });
    });
  }

  private async load(ref: string, digest: string): Promise<ImageInfo> {
    const manifest = parseManifest(await readFile(this.blobPath(digest)));
    const cfg = JSON.parse(await readFile(this.blobPath(manifest.config.digest), 'utf8')) as OciImageConfig;
    return { ref, digest, layers: cfg.rootfs.diff_ids, config: cfg.config ?? {} };
  }

  async get(ref: string): Promise<ImageInfo | undefined> {
    const index = await readJson<OciIndex>(this.indexPath);
    const desc = index?.manifests.find((m) => m.annotations?.[REF_ANNOTATION] === ref);
    return desc ? this.load(ref, desc.digest) : undefined;
  }

  async require(ref: string): Promise<ImageInfo> {
    const info = await this.get(ref);
    if (!info) throw new ImageNotFoundError(ref);
    return info;
  }

  async list(): Promise<ImageInfo[]> {
    const index = await readJson<OciIndex>(this.indexPath);
    const out: ImageInfo[] = [];
    for (const m of index?.manifests ?? []) {
      const ref = m.annotations?.[REF_ANNOTATION];
      if (ref) out.push(await this.load(ref, m.digest));
    }
    return out;
  }

  /** `base`'s layers plus one layer tarred from `layerDir`; config merged over base's. */
  async commit(base: string, layerDir: string, config: ImageConfig, ref: string): Promise<ImageInfo> {
    return this.gcLock.shared(async () => {
      const baseInfo = await this.require(base);
      const tmp = this.tmpPath('layer.tar');
      try {
        await tarDirectory(layerDir, tmp);
        const diffId = await this.importLayer(tmp, 'move');
        return await this.writeImage(ref, [...baseInfo.layers, diffId], mergeImageConfig(baseInfo.config, config));
      } finally {
        await rm(tmp, { force: true });
      }
    });
  }

  /** Unpacked layer directories of an image, top layer first (overlayfs lowerdir order). */
  async lowerDirs(info: ImageInfo): Promise<string[]> {
    const dirs: string[] = [];
    for (const d of info.layers) dirs.push(await this.ensureUnpacked(d));
    return dirs.reverse();
  }
}
