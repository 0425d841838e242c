/**
 * Samples every running job's cgroup (memory without page cache, CPU time, processes)
 * every `intervalMs` and publishes it on `paas.metrics.<app>.dyno.<job>`, for `paas ps`
 * and `paas metrics`. CPU use is the CPU time between two samples over the wall time
 * between them; a job's first sample says 0. Reading the cgroup files spawns nothing.
 */
import type { NatsConnection } from 'nats';
import { dynoSample, metricSubjects, processEvent, publish, type Logger } from '../shared';
import { isJob, jobDyno, LABEL_APP, LABEL_PROCESS_TYPE } from './job-mapping';
import type { ContainerInfo, EngineApi } from './types';

export const DEFAULT_METRICS_INTERVAL_MS = 10_000;

export function sampleJobMetrics(engine: EngineApi, nc: NatsConnection, hostId: string, log: Logger, intervalMs = DEFAULT_METRICS_INTERVAL_MS): () => void {
  const previous = new Map<string, { cpuNanos: number; at: number }>();
  let busy = false;
  const sample = async (): Promise<void> => {
    const jobs = (await engine.list()).filter((c) => c.state === 'running' && isJob(c));
    const seen = new Set<string>();
    for (const c of jobs) {
      seen.add(c.id);
      const s = await engine.stats(c.id).catch(() => undefined);
      if (!s) continue;
      const at = Date.parse(s.at);
      const before = previous.get(c.id);
      previous.set(c.id, { cpuNanos: s.cpuNanos, at });
      const cpuPercent = before && at > before.at ? Math.max(0, ((s.cpuNanos - before.cpuNanos) / 1e6 / (at - before.at)) * 100) : 0;
      const app = c.labels[LABEL_APP] ?? '';
      publish(nc, metricSubjects.dyno(app, c.id), dynoSample, {
        kind: 'dyno',
        app,
        jobId: c.id,
        dyno: jobDyno(c),
        type: c.labels[LABEL_PROCESS_TYPE] ?? '',
        hostId,
        time: s.at,
        memoryBytes: s.memoryBytes,
        memoryLimitBytes: s.memoryLimitBytes,
        cpuPercent: Math.round(cpuPercent * 10) / 10,
        pids: s.pids,
      });
    }
    for (const id of previous.keys()) if (!seen.has(id)) previous.delete(id);
  };
  const tick = (): void => {
    if (busy) return;
    busy = true;
    void sample()
      .catch((err) => log.debug('metrics sample failed', { err }))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return () => clearInterval(timer);
}

/** A process crashed: counted as a restart in `paas metrics`. Never throws. */
export function publishCrash(nc: NatsConnection, c: ContainerInfo, reason: string | undefined, log: Logger): void {
  const app = c.labels[LABEL_APP] ?? '';
  try {
    publish(nc, metricSubjects.event(app), processEvent, { kind: 'event', app, dyno: jobDyno(c), time: new Date().toISOString(), event: 'crashed', reason });
  } catch (err) {
    log.debug('crash event not published', { id: c.id, err });
  }
}
