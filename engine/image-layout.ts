/**
 * Export to and import from a standard OCI image layout directory (oci-layout,
 * index.json, blobs/sha256/…), the format skopeo (`oci:DIR:TAG`) and umoci read and
 * write. Export hard-links blobs when the directory is on the same filesystem.
 * Import takes OCI and Docker media types, gzip or uncompressed layers, and image
 * indexes (this host's platform is picked).
 */
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from './image-store';
import { ImageNotFoundError, UnsupportedImageError } from './errors';
import { exists, readJson, writeFileAtomic, writeJsonAtomic } from './fs-util';
import {
  INDEX_TYPES, MT_OCI_MANIFEST, REF_ANNOTATION, hexOf, parseManifest, pickPlatform, splitRef, type Descriptor, type OciIndex,
} from './image-oci';
import type { ImageTransfer } from './types';
import { ingestImage, readVerified, type BlobSource } from './image-ingest';

export interface LayoutOptions {
  /** The org.opencontainers.image.ref.name in the layout; default: the ref's tag. */
  name?: string;
}

function layoutBlob(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', hexOf(digest));
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  if (await exists(to)) return;
  const tmp = `${to}.tmp-${process.pid}`;
  await link(from, tmp).catch(() => copyFile(from, tmp));
  await rename(tmp, to);
}

/** Writes image `ref` into the OCI layout at `dir` (created, or added to). */
export async function exportImage(store: ImageStore, ref: string, dir: string, options: LayoutOptions = {}): Promise<Descriptor> {
  const img = await store.stored(ref);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  if (!(await exists(join(dir, 'oci-layout')))) await writeJsonAtomic(join(dir, 'oci-layout'), { imageLayoutVersion: '1.0.0' });
  for (const d of [img.manifest.config, ...img.manifest.layers]) await linkOrCopy(store.blobPath(d.digest), layoutBlob(dir, d.digest));
  await writeFileAtomic(layoutBlob(dir, img.digest), img.manifestBytes);
  const name = options.name ?? splitRef(ref).tag;
  const desc: Descriptor = { mediaType: MT_OCI_MANIFEST, digest: img.digest, size: img.manifestBytes.length, annotations: { [REF_ANNOTATION]: name } };
  const index = (await readJson<OciIndex>(join(dir, 'index.json'))) ?? { schemaVersion: 2, manifests: [] };
  index.manifests = [...index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== name), desc];
  await writeJsonAtomic(join(dir, 'index.json'), index);
  return desc;
}

function layoutSource(dir: string): BlobSource {
  return { open: (desc) => Promise.resolve(createReadStream(layoutBlob(dir, desc.digest))) };
}

/** The manifest descriptor for `name` in a layout's index.json. */
function pick(index: OciIndex, dir: string, name: string | undefined, ref: string): Descriptor {
  const named = (n: string): Descriptor | undefined => index.manifests.find((m) => m.annotations?.[REF_ANNOTATION] === n);
  const found = name !== undefined ? named(name) : index.manifests.length === 1 ? index.manifests[0] : named(splitRef(ref).tag) ?? named(ref);
  if (!found) throw new ImageNotFoundError(`${name ?? ref} in OCI layout ${dir}`);
  return found;
}

/** Imports an image from the OCI layout at `dir` and tags it `ref` in the store. */
export async function importImage(store: ImageStore, dir: string, ref: string, options: LayoutOptions = {}): Promise<ImageTransfer> {
  const layout = await readJson<{ imageLayoutVersion?: string }>(join(dir, 'oci-layout'));
  if (!layout?.imageLayoutVersion) throw new UnsupportedImageError(`${dir} is not an OCI image layout (no oci-layout file)`);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as OciIndex;
  const source = layoutSource(dir);
  let desc = pick(index, dir, options.name, ref);
  if (INDEX_TYPES.includes(desc.mediaType)) {
    desc = pickPlatform(JSON.parse((await readVerified(source, desc)).toString('utf8')) as OciIndex);
  }
  const manifest = parseManifest(await readVerified(source, desc));
  return ingestImage(store, source, manifest, ref);
}
