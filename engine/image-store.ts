/**
 * The local OCI image store, laid out as an OCI image layout under <dataDir>/images:
 *   blobs/sha256/<hex>   layer tarballs (uncompressed), image configs, manifests
 *   layers/<diffid-hex>/ each layer unpacked once, shared read-only by every image and
 *                        container that uses it (overlayfs lower dirs)
 *   index.json           the tags (org.opencontainers.image.ref.name), written atomically
 * Layers are uncompressed, so a layer blob's digest is also its diff id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig, ImageInfo } from './types';
import { ImageNotFoundError } from './errors';
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from './fs-util';
import { extractLayer, sha256File, tarDirectory } from './layer-archive';
import { execRaw } from './exec';
import { KeyedMutex } from './mutex';
import { mergeImageConfig } from './image-config';

const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MT_LAYER = 'application/vnd.oci.image.layer.v1.tar';
const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface OciIndex {
  schemaVersion: 2;
  manifests: Descriptor[];
}
interface OciManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}
interface OciImageConfig {
  architecture: string;
  os: string;
  created: string;
  config: ImageConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
}

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');

export class ImageStore {
  private readonly locks = new KeyedMutex();

  constructor(readonly root: string) {}

  async init(): Promise<void> {
    for (const d of ['blobs/sha256', 'layers', 'tmp']) await mkdir(join(this.root, d), { recursive: true });
    const layout = join(this.root, 'oci-layout');
    if (!(await exists(layout))) await writeJsonAtomic(layout, { imageLayoutVersion: '1.0.0' });
    if (!(await exists(this.indexPath))) await writeJsonAtomic(this.indexPath, { schemaVersion: 2, manifests: [] });
  }

  private get indexPath(): string {
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

  private async putJsonBlob(value: unknown): Promise<Descriptor & { data: Buffer }> {
    const data = Buffer.from(JSON.stringify(value));
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    if (!(await exists(this.blobPath(digest)))) await writeFileAtomic(this.blobPath(digest), data);
    return { mediaType: '', digest, size: data.length, data };
  }

  /**
   * Adds a layer tarball to the store and unpacks it (once). `mode` says how the file
   * gets there: moved (our own temp files), hard-linked when possible (the host-wide
   * stack cache), or copied. A caller that knows the digest, or has the layer unpacked
   * already on the same filesystem (`seed`, hard-linked: ~7x faster than untarring),
   * can say so.
   */
  async importLayer(tarPath: string, mode: 'move' | 'link', known: { diffId?: string; seed?: string } = {}): Promise<string> {
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
    await this.ensureUnpacked(diffId, known.seed);
    return diffId;
  }

  /** Unpacks a stored layer blob into layers/<hex>/ unless that was done before. */
  async ensureUnpacked(diffId: string, seed?: string): Promise<string> {
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
      await extractLayer(this.blobPath(diffId), dir);
      return dir;
    });
  }

  /** Writes config + manifest blobs and points `ref` at the manifest. */
  async writeImage(ref: string, diffIds: string[], config: ImageConfig): Promise<ImageInfo> {
    const cfg: OciImageConfig = {
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
      os: 'linux',
      created: new Date().toISOString(),
      config,
      rootfs: { type: 'layers', diff_ids: diffIds },
    };
    const cfgDesc = await this.putJsonBlob(cfg);
    const layers: Descriptor[] = [];
    for (const d of diffIds) layers.push({ mediaType: MT_LAYER, digest: d, size: (await stat(this.blobPath(d))).size });
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MT_MANIFEST,
      config: { mediaType: MT_CONFIG, digest: cfgDesc.digest, size: cfgDesc.size },
      layers,
    };
    const man = await this.putJsonBlob(manifest);
    await this.locks.run('index', async () => {
      const index = (await readJson<OciIndex>(this.indexPath)) ?? { schemaVersion: 2, manifests: [] };
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== ref);
      index.manifests.push({ mediaType: MT_MANIFEST, digest: man.digest, size: man.size, annotations: { [REF_ANNOTATION]: ref } });
      await writeJsonAtomic(this.indexPath, index);
    });
    return { ref, digest: man.digest, layers: diffIds, config };
  }

  private async load(ref: string, digest: string): Promise<ImageInfo> {
    const manifest = JSON.parse(await readFile(this.blobPath(digest), 'utf8')) as OciManifest;
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
    const baseInfo = await this.require(base);
    const tmp = this.tmpPath('layer.tar');
    try {
      await tarDirectory(layerDir, tmp);
      const diffId = await this.importLayer(tmp, 'move');
      return await this.writeImage(ref, [...baseInfo.layers, diffId], mergeImageConfig(baseInfo.config, config));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Unpacked layer directories of an image, top layer first (overlayfs lowerdir order). */
  async lowerDirs(info: ImageInfo): Promise<string[]> {
    const dirs: string[] = [];
    for (const d of info.layers) dirs.push(await this.ensureUnpacked(d));
    return dirs.reverse();
  }
}
