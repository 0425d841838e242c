/**
 * Notices containers that exit on their own. Every ~500 ms, for each running
 * container started by a shim: the shim's exit-code file means it exited (status
 * inside); a vanished shim (killed, host rebooted) means we ask the runtime, and a
 * container the runtime no longer runs is recorded as exited with an unknown code.
 * Checking a file per container is much cheaper than spawning `runc state` for each.
 */
import type { Logger } from '../shared';
import type { ContainerManager } from './containers';
import type { ContainerPaths } from './container-paths';
import type { OciRuntime } from './runtime';
import { processAlive, readExitFile } from './launcher';

export class ExitWatcher {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly manager: ContainerManager,
    private readonly paths: ContainerPaths,
    private readonly runtime: OciRuntime,
    private readonly log: Logger,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const r of [...this.manager.records.values()]) {
        if (r.state !== 'running' || this.manager.attached.has(r.id)) continue;
        try {
          const code = await readExitFile(this.paths, r.id);
          if (code !== undefined) {
            await this.manager.finishExit(r.id, code);
            continue;
          }
          if (await processAlive(r.monitorPid, r.id)) continue;
          const st = await this.runtime.state(r.id);
          if (st && (st.status === 'running' || st.status === 'created' || st.status === 'paused')) continue;
          // The shim may have written the file between our two looks.
          await this.manager.finishExit(r.id, (await readExitFile(this.paths, r.id)) ?? null);
        } catch (err) {
          this.log.warn('exit check failed', { id: r.id, err });
        }
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
