/** Where a container's files live: <dataDir>/containers/<id>/… */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

export class ContainerPaths {
  constructor(readonly containersDir: string) {}

  dir(id: string): string {
    return join(this.containersDir, id);
  }
  state(id: string): string {
    return join(this.dir(id), 'state.json');
  }
  /** The OCI bundle is the container directory itself: config.json + rootfs/. */
  bundle(id: string): string {
    return this.dir(id);
  }
  rootfs(id: string): string {
    return join(this.dir(id), 'rootfs');
  }
  upper(id: string): string {
    return join(this.dir(id), 'upper');
  }
  work(id: string): string {
    return join(this.dir(id), 'work');
  }
  log(id: string): string {
    return join(this.dir(id), 'output.log');
  }
  /** Written by the shim when the runtime returns: the container's exit status. */
  exitFile(id: string): string {
    return join(this.dir(id), 'exit-code');
  }
  pidFile(id: string): string {
    return join(this.dir(id), 'pid');
  }
  etc(id: string, name: 'resolv.conf' | 'hosts' | 'hostname'): string {
    return join(this.dir(id), name);
  }
}

/**
 * A short host-unique name for per-container kernel objects (netns, veth: 15 chars
 * max), derived from the data dir and the id so two data dirs never collide.
 */
export function shortName(containersDir: string, id: string): string {
  return createHash('sha256').update(`${containersDir}\0${id}`).digest('hex').slice(0, 10);
}
