/**
 * Images leave the builder's host through the platform's registry: once a build has
 * committed its image, it is pushed there under the same name, so any host the
 * scheduler picks can pull it (engine/agent-pull.ts). Blobs the registry has are never
 * sent again, so after the first push of a stack only the app's own layer travels.
 * Publishing is on when the node is given a registry (PAAS_REGISTRY_URL); a single host
 * runs what it built and publishes nothing.
 */
import type { Writable } from 'node:stream';
import type { EngineApi, ImageInfo, RegistryCredentials } from '../engine';
import { heroku } from '../shared';

export interface PublishTarget {
  /** http(s)://host:port as this node reaches the registry (PAAS_REGISTRY_URL; its scheme is used as given). */
  url: string;
  credentials?: RegistryCredentials;
}

const targets = new WeakMap<EngineApi, PublishTarget>();

/** Where this engine's builds publish their images (the daemon calls it once). */
export function setPublishTarget(engine: EngineApi, target: PublishTarget | undefined): void {
  if (target) targets.set(engine, target);
  else targets.delete(engine);
}

/** Pushes the build's image when a registry is configured; a failure fails the build (no host could run it). */
export async function publishImage(engine: EngineApi, image: ImageInfo, out: Writable): Promise<void> {
  const target = targets.get(engine);
  if (!target) return;
  try {
    // A path on the URL is a namespace in the registry (an external one's project or account): hosts pull `<url>/<ref>` too.
    const url = new URL(target.url);
    const namespace = url.pathname.replace(/^\/+|\/+$/g, '');
    const r = await engine.push(image.ref, url.origin, namespace ? `${namespace}/${image.ref}` : image.ref, target.credentials);
    if (r.blobsPushed > 0) out.write(heroku.detail(`Image published: ${r.blobsPushed} new layer${r.blobsPushed === 1 ? '' : 's'}, ${r.blobsSkipped} already in the registry`));
  } catch (err) {
    throw new Error(`Could not publish the image to the registry at ${target.url}: ${err instanceof Error ? err.message : String(err)}. Check PAAS_REGISTRY_URL (its scheme: http or https), PAAS_REGISTRY_USER and PAAS_REGISTRY_TOKEN, then push again.`, { cause: err });
  }
}
