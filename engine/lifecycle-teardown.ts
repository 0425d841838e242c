/**
 * Releasing what a stopped container held (runtime record and cgroup, overlay mount,
 * network, conmon's socket link) and deleting a removed container's files, off the
 * start and stop paths: deleting a veth alone costs ~20 ms. One chain per container id,
 * so a new start, create or remove of the same id waits for the previous teardown; the
 * address stays reserved until the network is gone (no two holders of one IP on the bridge).
 */
import { rm } from 'node:fs/promises';
import type { Logger } from '../shared';
import type { ContainerRecord } from './container-state';
import type { ContainerPaths } from './container-paths';
import type { OciRuntime } from './runtime';
import { networkDown } from './container-network';
import { unmountOverlay } from './overlay';

export class Teardowns {
  private readonly pending = new Map<string, Promise<void>>();
  private readonly ips = new Map<string, string>();

  constructor(
    private readonly paths: ContainerPaths,
    private readonly runtime: OciRuntime,
    private readonly log: Logger,
  ) {}

  /** Addresses still in use by a container being torn down. */
  reservedIps(): string[] {
    return [...this.ips.values()];
  }

  async settled(id?: string): Promise<void> {
    if (id !== undefined) {
      await this.pending.get(id);
      return;
    }
    while (this.pending.size > 0) await Promise.all([...this.pending.values()]);
  }

  private chain(id: string, work: () => Promise<void>): Promise<void> {
    const next = (this.pending.get(id) ?? Promise.resolve()).then(work).catch((err: unknown) => this.log.warn('teardown failed', { id, err }));
    this.pending.set(id, next);
    void next.then(() => {
      if (this.pending.get(id) === next) this.pending.delete(id);
    });
    return next;
  }

  private async releaseNow(r: ContainerRecord): Promise<void> {
    const warn = (what: string) => (err: unknown) => this.log.warn(`${what} failed`, { id: r.id, err });
    await Promise.all([
      this.runtime.delete(r.id).catch(warn('runtime delete')),
      unmountOverlay(this.paths.rootfs(r.id)).catch(warn('unmount')),
      networkDown(r, warn('network teardown')),
      rm(this.paths.socket(r.id), { force: true }).catch(warn('socket link removal')),
    ]);
  }

  /** Frees the kernel objects of a stopped container; `now` waits for it (a failed start). */
  release(r: ContainerRecord, now = false): Promise<void> {
    const done = this.chain(r.id, () => this.releaseNow(r));
    return now ? done : Promise.resolve();
  }

  /** release() then delete the container's files and exit record; keeps its address reserved until then. */
  remove(r: ContainerRecord): Promise<void> {
    if (r.ip) this.ips.set(r.id, r.ip);
    return this.chain(r.id, async () => {
      try {
        await this.releaseNow(r);
        await Promise.all([rm(this.paths.dir(r.id), { recursive: true, force: true }), rm(this.paths.exitFile(r.id), { force: true })]);
      } finally {
        this.ips.delete(r.id);
      }
    });
  }
}
