/**
 * Notices containers that exit on their own. conmon writes <exitsDir>/<id> when a
 * container exits: one inotify watch on that directory reports it within milliseconds.
 * A slower sweep (every ~500 ms) is the safety net, and also catches a vanished conmon
 * (killed, host rebooted): then the runtime is asked, and a container it no longer runs
 * is recorded as exited with an unknown code. Each sweep also keeps the log files of
 * running containers rotated (logs-files.ts: two stats per container).
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../shared';
import type { ContainerManager } from './containers';
import type { ContainerPaths } from './container-paths';
import type { OciRuntime } from './runtime';
import { processAlive, readExitFile } from './launcher';
import { relinkRotated } from './logs-files';

export class ExitWatcher {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
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
    try {
      this.watcher = watch(this.paths.exitsDir, (_event, name) => {
        if (name && this.manager.records.get(name.toString())?.state === 'running') void this.check(name.toString());
      });
      this.watcher.on('error', (err) => this.log.warn('exit dir watch failed', { err }));
    } catch (err) {
      this.log.warn('cannot watch the exit dir: exits are noticed by polling only', { err });
    }
  }

  /** An exit file appeared for `id`. */
  private async check(id: string): Promise<void> {
    const code = await readExitFile(this.paths, id);
    if (code !== undefined) await this.manager.finishExit(id, code).catch((err) => this.log.warn('exit record failed', { id, err }));
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const r of [...this.manager.records.values()]) {
        if (r.state !== 'running') continue;
        try {
          const code = await readExitFile(this.paths, r.id);
          if (code !== undefined) {
            await this.manager.finishExit(r.id, code);
            continue;
          }
          await relinkRotated(this.paths, r.id);
          if (await processAlive(r.monitorPid, r.id)) continue;
          const st = await this.runtime.state(r.id);
          if (st && (st.status === 'running' || st.status === 'created' || st.status === 'paused')) continue;
          // conmon may have written the file between our two looks.
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
    this.watcher?.close();
    this.watcher = undefined;
  }
}
