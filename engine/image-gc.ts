/**
 * Garbage collection of the image store: frees the blobs and unpacked layers that no
 * tagged image references and no container uses. Layers shared with a kept image stay.
 * A container whose image was untagged with force keeps its layers while they are
 * mounted (read from the overlay mounts), since its record only names the image ref.
 */
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GcResult } from './types';
import type { ImageStore } from './image-store';
import { readJson } from './fs-util';
import { DIGEST_RE, parseManifest, type OciIndex } from './image-oci';

const HEX_RE = /^[a-f0-9]{64}$/;

/** Layer dirs (hex) used as overlay lower dirs by any mount on the host. */
async function mountedLayers(layersDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  for (const line of mounts.split('\n')) {
    const opts = line.split(' ')[3] ?? '';
    const lower = /(?:^|,)lowerdir=([^,]*)/.exec(opts)?.[1];
    for (const dir of lower?.split(':') ?? []) {
      if (dir.startsWith(`${layersDir}/`)) out.add(dir.slice(layersDir.length + 1));
    }
  }
  return out;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}

export async function collectGarbage(store: ImageStore): Promise<GcResult> {
  return store.gcLock.exclusive(async () => {
    const keepBlobs = new Set<string>();
    const keepLayers = new Set<string>();
    const index = (await readJson<OciIndex>(store.indexPath)) ?? { schemaVersion: 2, manifests: [] };
    for (const desc of index.manifests) {
      keepBlobs.add(desc.digest);
      const manifest = parseManifest(await readFile(store.blobPath(desc.digest)));
      keepBlobs.add(manifest.config.digest);
      for (const l of manifest.layers) {
        keepBlobs.add(l.digest);
        keepLayers.add(l.digest.slice('sha256:'.length));
      }
    }
    for (const d of store.pendingLayers()) {
      keepBlobs.add(d);
      keepLayers.add(d.slice('sha256:'.length));
    }
    const layersDir = join(store.root, 'layers');
    for (const hex of await mountedLayers(layersDir)) {
      keepLayers.add(hex);
      keepBlobs.add(`sha256:${hex}`);
    }
    const result: GcResult = { blobsRemoved: 0, layersRemoved: 0, bytesFreed: 0 };
    const blobsDir = join(store.root, 'blobs', 'sha256');
    for (const hex of await readdir(blobsDir)) {
      if (!HEX_RE.test(hex) || keepBlobs.has(`sha256:${hex}`) || !DIGEST_RE.test(`sha256:${hex}`)) continue;
      result.bytesFreed += await sizeOf(join(blobsDir, hex));
      await rm(join(blobsDir, hex), { force: true });
      result.blobsRemoved++;
    }
    for (const hex of await readdir(layersDir)) {
      if (!HEX_RE.test(hex) || keepLayers.has(hex)) continue;
      await rm(join(layersDir, hex), { recursive: true, force: true });
      result.layersRemoved++;
    }
    return result;
  });
}
