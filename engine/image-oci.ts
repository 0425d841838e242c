/**
 * The OCI image format as paas reads and writes it (image-spec v1): media types,
 * descriptors, manifests, indexes, image configs, and digests. Docker's v2 schema 2
 * media types are accepted on input (they have the same shape).
 */
import { createHash } from 'node:crypto';
import type { ImageConfig } from './types';
import { UnsupportedImageError } from './errors';

export const MT_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MT_OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MT_OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MT_OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const MT_OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MT_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const MT_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const MT_DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const MT_DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const MT_DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

export const MANIFEST_TYPES = [MT_OCI_MANIFEST, MT_DOCKER_MANIFEST];
export const INDEX_TYPES = [MT_OCI_INDEX, MT_DOCKER_LIST];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}
export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}
export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}
export interface OciImageConfig {
  architecture: string;
  os: string;
  created?: string;
  config?: ImageConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
}

export type LayerCompression = 'none' | 'gzip';

/** How a layer blob is compressed, from its media type; refuses what paas cannot unpack. */
export function layerCompression(mediaType: string): LayerCompression {
  if (mediaType === MT_OCI_LAYER || mediaType === MT_DOCKER_LAYER) return 'none';
  if (mediaType === MT_OCI_LAYER_GZIP || mediaType === MT_DOCKER_LAYER_GZIP) return 'gzip';
  throw new UnsupportedImageError(`unsupported layer media type: ${mediaType}`);
}

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hexOf(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new UnsupportedImageError(`not a sha256 digest: ${digest}`);
  return digest.slice('sha256:'.length);
}

/** The platform paas runs on, in OCI's names. */
export function hostPlatform(): { architecture: string; os: string } {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return { architecture: arch, os: 'linux' };
}

/** Picks this host's platform from an image index (multi-arch images). */
export function pickPlatform(index: OciIndex): Descriptor {
  const want = hostPlatform();
  const manifests = index.manifests.filter((m) => MANIFEST_TYPES.includes(m.mediaType));
  const match =
    manifests.find((m) => m.platform?.architecture === want.architecture && m.platform.os === want.os) ??
    (manifests.length === 1 && !manifests[0]!.platform ? manifests[0] : undefined);
  if (!match) throw new UnsupportedImageError(`no ${want.os}/${want.architecture} image in the index`);
  return match;
}

/** Parses a manifest and checks the fields paas relies on. */
export function parseManifest(data: Buffer): OciManifest {
  const m = JSON.parse(data.toString('utf8')) as Partial<OciManifest>;
  if (m.schemaVersion !== 2 || !m.config || !Array.isArray(m.layers)) throw new UnsupportedImageError('not an image manifest (schema 2)');
  for (const d of [m.config, ...m.layers]) hexOf(d.digest);
  return m as OciManifest;
}

export function parseConfig(data: Buffer, layerCount: number): OciImageConfig {
  const c = JSON.parse(data.toString('utf8')) as Partial<OciImageConfig>;
  const ids = c.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.length !== layerCount) throw new UnsupportedImageError('image config diff_ids do not match the layers');
  for (const d of ids) hexOf(d);
  return c as OciImageConfig;
}

/** "name:tag" → [name, tag]; a missing tag is "latest". */
export function splitRef(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}
