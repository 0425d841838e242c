/**
 * The host agent: the engine's face on NATS. The scheduler sends jobs.start / jobs.stop /
 * jobs.list requests to this host; the agent runs them on the engine, tracks readiness
 * (starting → up), notices crashes (exit code, OOM kill), and publishes jobChanged
 * events and a heartbeat with the host's capacity and jobs.
 */
import { appendFile } from 'node:fs/promises';
import os from 'node:os';
import type { NatsConnection, Subscription } from 'nats';
import { NotFoundError, publish, subjects, subscribe, type JobInfo, type JobSpec, type JobState, type Logger } from '../shared';
import type { ContainerInfo, EngineApi } from './types';
import { isJob, jobContainerSpec, jobInfoOf, jobPort } from './job-mapping';
import { KeyedMutex } from './mutex';
import { waitReady } from './readiness';
import { formatRecord } from './logs-format';
import { forwardLogs } from './agent-logs';

export interface AgentOptions {
  engine: EngineApi;
  nc: NatsConnection;
  hostId: string;
  /** Address at which others reach this host's containers (sent in heartbeats). */
  address: string;
  log: Logger;
  heartbeatMs?: number;
  /** How long a web process has to accept connections on $PORT. */
  bootTimeoutMs?: number;
  stopGraceMs?: number;
}

export interface AgentHandle {
  /** Resolves once the agent has re-checked the jobs it found running at start. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export function startAgent(o: AgentOptions): AgentHandle {
  const { engine, nc, hostId, log } = o;
  const bootTimeoutMs = o.bootTimeoutMs ?? 60_000;
  const stopGraceMs = o.stopGraceMs ?? 10_000;
  /** What the agent knows beyond the engine: readiness results and intended stops. */
  const known = new Map<string, JobState>();
  const checks = new Map<string, AbortController>();
  const locks = new KeyedMutex();

  const info = (c: ContainerInfo): JobInfo => jobInfoOf(c, hostId, known.get(c.id));
  const changed = (c: ContainerInfo): void => {
    try {
      publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, info(c));
    } catch (err) {
      log.warn('could not publish jobChanged', { id: c.id, err });
    }
  };

  /** starting → up when ready; a web job that never binds its port is stopped and crashed. */
  const checkReadiness = async (c: ContainerInfo): Promise<void> => {
    checks.get(c.id)?.abort();
    const ac = new AbortController();
    checks.set(c.id, ac);
    const ready = await waitReady({ ip: c.ip, port: jobPort(c), startedAt: c.startedAt, timeoutMs: bootTimeoutMs, signal: ac.signal });
    if (ac.signal.aborted) return;
    checks.delete(c.id);
    const now = await engine.inspect(c.id);
    if (!now || now.state !== 'running') return;
    if (ready) {
      known.set(c.id, 'up');
      log.info('job up', { id: c.id, ip: now.ip });
      changed(now);
      return;
    }
    const message = `Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${Math.round(bootTimeoutMs / 1000)} seconds of launch`;
    log.warn('job boot timeout', { id: c.id, message });
    await appendFile(engine.logPath(c.id), formatRecord(new Date(), 'stderr', message)).catch(() => undefined);
    known.set(c.id, 'crashed');
    await engine.stop(c.id, stopGraceMs);
  };

  const unsubscribeExit = engine.onExit((c) => {
    if (!isJob(c)) return;
    checks.get(c.id)?.abort();
    checks.delete(c.id);
    if (known.get(c.id) === 'down') return; // stopped on purpose: jobs.stop publishes 'down'
    known.set(c.id, 'crashed');
    log.info('job crashed', { id: c.id, exitCode: c.exitCode, oomKilled: c.oomKilled });
    changed(c);
  });

  const startJob = (job: JobSpec): Promise<JobInfo> =>
    locks.run(job.id, async () => {
      const existing = await engine.inspect(job.id);
      if (existing?.state === 'running') return info(existing);
      if (existing) await engine.remove(job.id); // an old, exited run of the same job id
      known.set(job.id, 'starting');
      await engine.create(jobContainerSpec(job));
      let c: ContainerInfo;
      try {
        c = await engine.start(job.id);
      } catch (err) {
        await engine.remove(job.id).catch(() => undefined);
        known.delete(job.id);
        throw err;
      }
      void checkReadiness(c).catch((err) => log.error('readiness check failed', { id: job.id, err }));
      return info(c);
    });

  const stopJob = (id: string, graceMs: number): Promise<JobInfo> =>
    locks.run(id, async () => {
      const c = await engine.inspect(id);
      if (!c || !isJob(c)) throw new NotFoundError(`no job ${id} on host ${hostId}`, 'job_not_found');
      known.set(id, 'down');
      checks.get(id)?.abort();
      const stopped = await engine.stop(id, graceMs);
      await engine.remove(id);
      const down = jobInfoOf(stopped, hostId, 'down');
      publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, down);
      known.delete(id);
      return down;
    });

  const listJobs = async (): Promise<JobInfo[]> => (await engine.list()).filter(isJob).map(info);

  const subs: Subscription[] = [
    subscribe(nc, subjects.jobStart.name(hostId), subjects.jobStart.schema, log, async (job, reply) => reply(await startJob(job))),
    subscribe(nc, subjects.jobStop.name(hostId), subjects.jobStop.schema, log, async (req, reply) =>
      reply(await stopJob(req.id, req.graceMs ?? stopGraceMs)),
    ),
    subscribe(nc, subjects.jobList.name(hostId), subjects.jobList.schema, log, async (_req, reply) => reply(await listJobs())),
  ];

  const heartbeat = async (): Promise<void> => {
    try {
      publish(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, {
        hostId,
        address: o.address,
        memoryBytes: os.totalmem(),
        cpus: os.cpus().length,
        runtime: engine.runtime,
        jobs: await listJobs(),
        at: new Date().toISOString(),
      });
    } catch (err) {
      log.warn('heartbeat failed', { err });
    }
  };
  void heartbeat();
  const timer = setInterval(() => void heartbeat(), o.heartbeatMs ?? 2000);

  // After an agent restart: readiness of the jobs still running is not known; re-check it.
  const ready = (async () => {
    for (const c of await engine.list()) {
      if (isJob(c) && c.state === 'running' && !known.has(c.id)) {
        void checkReadiness(c).catch((err) => log.error('readiness check failed', { id: c.id, err }));
      }
    }
  })();

  const stopLogs = forwardLogs(engine, nc, hostId, log);

  return {
    ready,
    async stop() {
      stopLogs();
      clearInterval(timer);
      unsubscribeExit();
      for (const ac of checks.values()) ac.abort();
      checks.clear();
      for (const s of subs) s.unsubscribe();
      await ready.catch(() => undefined);
    },
  };
}
