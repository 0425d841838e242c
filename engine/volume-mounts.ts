/**
 * Turns a spec's mounts into bind mounts for the runtime: host paths are checked,
 * named volumes become their directory (created and handed to the container's user on
 * first use).
 *
 * Destinations are resolved by the runtime inside the rootfs: runc (since 1.0.0-rc95,
 * CVE-2021-30465) follows symlinks in the image with securejoin, scoped to the rootfs,
 * so a destination that is a symlink to a host path lands inside the container, not on
 * the host (volume-integration.test.ts proves it on this runtime).
 */
import { isAbsolute } from 'node:path';
import { InvalidInputError } from '../shared';
import type { BindMount, Mount } from './types';

/** What container-config needs of the volume store. */
export interface VolumeMounter {
  mountSource(name: string, owner: { uid: number; gid: number }): Promise<string>;
}

function checkDestination(m: Mount): void {
  if (!isAbsolute(m.destination) || m.destination.split('/').includes('..')) {
    throw new InvalidInputError(`mount destination must be absolute, without '..': ${m.destination}`);
  }
}

/** Checks every mount before touching any volume, then resolves them in order. */
export async function resolveMounts(
  mounts: readonly Mount[],
  volumes: VolumeMounter | undefined,
  owner: { uid: number; gid: number },
): Promise<BindMount[]> {
  for (const m of mounts) {
    checkDestination(m);
    if ((m.source === undefined) === (m.volume === undefined)) {
      throw new InvalidInputError(`a mount needs exactly one of source and volume: ${m.destination}`);
    }
    if (m.source !== undefined && !isAbsolute(m.source)) {
      throw new InvalidInputError(`mount paths must be absolute, without '..': ${m.source} -> ${m.destination}`);
    }
    if (m.volume !== undefined && !volumes) throw new InvalidInputError(`volumes are not available here: ${m.volume}`);
  }
  const out: BindMount[] = [];
  for (const m of mounts) {
    const source = m.volume !== undefined ? await volumes!.mountSource(m.volume, owner) : m.source!;
    out.push(m.readonly === undefined ? { source, destination: m.destination } : { source, destination: m.destination, readonly: m.readonly });
  }
  return out;
}
