/**
 * The lifecycle part of EngineApi beyond create/start/stop/remove: kill, restart, wait,
 * exec, attach, logs, onLog and stats, put together from their modules for openEngine.
 */
import os from 'node:os';
import type { Logger } from '../shared';
import type { EngineApi } from './types';
import type { ContainerManager } from './containers';
import type { CgroupVersion } from './lifecycle-limits';
import { cgroupPathOf } from './container-config';
import { attachOutput } from './lifecycle-attached';
import { execInContainer } from './lifecycle-exec';
import { LogPublisher } from './logs-publisher';
import { readLogs } from './logs-reader';
import { readStats } from './stats-cgroup';

export type LifecycleApi = Pick<EngineApi, 'kill' | 'restart' | 'wait' | 'exec' | 'attach' | 'logs' | 'onLog' | 'stats'>;

export function lifecycleApi(manager: ContainerManager, cgroupVersion: CgroupVersion, log: Logger): { api: LifecycleApi; close(): void } {
  const isRunning = (id: string): boolean => manager.records.get(id)?.state === 'running';
  const publisher = new LogPublisher(
    manager.d.paths,
    isRunning,
    () => [...manager.records.values()].filter((r) => r.state === 'running').map((r) => r.id),
    log,
    (id) => manager.wait(id).catch(() => undefined),
  );
  manager.onStarted = (id) => publisher.started(id);
  const api: LifecycleApi = {
    kill: (id, signal) => manager.kill(id, signal),
    restart: (id, graceMs) => manager.restart(id, graceMs),
    wait: (id) => manager.wait(id),
    exec: (id, argv, options) => execInContainer(manager, id, argv, options),
    attach: (id, options) => attachOutput(manager, id, options),
    logs(id, options = {}) {
      manager.get(id); // not found: a typed error now, not on the first iteration
      return readLogs(manager.d.paths, id, options, () => isRunning(id), () => manager.wait(id).catch(() => undefined));
    },
    onLog: (listener, flow) => publisher.subscribe(listener, flow),
    async stats(id) {
      manager.running(id);
      return readStats(cgroupVersion, cgroupPathOf(id), os.totalmem());
    },
  };
  return { api, close: () => publisher.close() };
}
