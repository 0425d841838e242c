/**
 * How a scheduler job maps onto a container and back. Everything needed to rebuild a
 * JobInfo (and to re-run its readiness check) is kept in the container's labels, so a
 * restarted agent knows its jobs from the engine alone.
 */
import type { AppLogLine, JobInfo, JobSpec, JobState } from '../shared';
import type { ContainerInfo, ContainerSpec } from './types';

export const LABEL_JOB = 'io.paas.job';
export const LABEL_APP = 'io.paas.app';
export const LABEL_RELEASE = 'io.paas.release';
export const LABEL_PROCESS_TYPE = 'io.paas.process-type';
export const LABEL_PORT = 'io.paas.port';
export const LABEL_DYNO = 'io.paas.dyno';
export const LABEL_ONE_OFF = 'io.paas.one-off';
export const LABEL_MEMORY = 'io.paas.memory-bytes';
/** The health check as JSON ({path, timeoutMs?, attempts?}). */
export const LABEL_HEALTH_CHECK = 'io.paas.health-check';
export const LABEL_STOP_GRACE = 'io.paas.stop-grace-ms';
/** An attached one-off's command (JSON argv), run once its terminal is attached. */
export const LABEL_ATTACH_CMD = 'io.paas.attach-cmd';

/**
 * What an attached one-off's container runs while it waits for its terminal and while the
 * command runs beside it: nothing, with only a shell and sleep from the image.
 */
export const ATTACH_HOLDER = ['/bin/sh', '-c', 'while :; do sleep 3600; done'];

/** Docker's default cpu.shares: the weight of one CPU's worth. */
const SHARES_PER_CPU = 1024;

export type HealthCheck = NonNullable<JobSpec['healthCheck']>;

export function jobContainerSpec(job: JobSpec): ContainerSpec {
  const labels: Record<string, string> = {
    [LABEL_JOB]: 'true',
    [LABEL_APP]: job.app,
    [LABEL_RELEASE]: String(job.release),
    [LABEL_PROCESS_TYPE]: job.processType,
    [LABEL_MEMORY]: String(job.memoryBytes),
  };
  const env: Record<string, string> = { ...job.env };
  if (job.port !== undefined) {
    labels[LABEL_PORT] = String(job.port);
    env.PORT = String(job.port);
  }
  if (job.dyno) labels[LABEL_DYNO] = job.dyno;
  if (job.oneOff) labels[LABEL_ONE_OFF] = 'true';
  if (job.attach && job.cmd) labels[LABEL_ATTACH_CMD] = JSON.stringify(job.cmd);
  if (job.healthCheck) labels[LABEL_HEALTH_CHECK] = JSON.stringify(job.healthCheck);
  if (job.stopGraceMs !== undefined) labels[LABEL_STOP_GRACE] = String(job.stopGraceMs);
  env.DYNO ??= job.dyno ?? `${job.processType}.${job.id}`;
  const spec: ContainerSpec = {
    id: job.id,
    image: job.image,
    cmd: job.attach && job.cmd ? ATTACH_HOLDER : job.cmd,
    // A process without a SIGTERM handler must still stop on SIGTERM, as on Heroku (see ContainerSpec.init).
    init: true,
    env,
    memoryBytes: job.memoryBytes,
    network: 'bridge',
    user: { uid: 1000, gid: 1000 },
    hostname: job.id,
    labels,
  };
  // A size's cpus is both its weight under contention and its cap, like a dyno size's
  // share of the host: a 1X process cannot starve its neighbours, nor they it.
  if (job.cpus !== undefined) spec.cpu = { shares: Math.max(2, Math.round(job.cpus * SHARES_PER_CPU)), cpus: job.cpus };
  return spec;
}

export function isJob(c: ContainerInfo): boolean {
  return c.labels[LABEL_JOB] === 'true';
}

export function isOneOff(c: ContainerInfo): boolean {
  return c.labels[LABEL_ONE_OFF] === 'true';
}

/** The command an attached one-off runs once its terminal is there; undefined for other jobs. */
export function attachCommand(c: ContainerInfo): string[] | undefined {
  const v = c.labels[LABEL_ATTACH_CMD];
  if (!v) return undefined;
  try {
    const argv = JSON.parse(v) as unknown;
    return Array.isArray(argv) && argv.length > 0 && argv.every((a) => typeof a === 'string') ? (argv as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function jobPort(c: ContainerInfo): number | undefined {
  const p = c.labels[LABEL_PORT];
  return p ? Number(p) : undefined;
}

/** web.1 as Heroku names it; the job id when the scheduler gave no name. */
export function jobDyno(c: ContainerInfo): string {
  return c.labels[LABEL_DYNO] || c.id;
}

/** One line of the job's log stream: the process's own (source app) or the platform's about it (paas). */
export function jobLogLine(c: ContainerInfo, hostId: string, source: 'app' | 'paas', stream: 'stdout' | 'stderr', time: string, line: string): AppLogLine {
  return { app: c.labels[LABEL_APP] ?? '', jobId: c.id, processType: c.labels[LABEL_PROCESS_TYPE] ?? '', hostId, stream, source, dyno: jobDyno(c), time, line };
}

export function jobHealthCheck(c: ContainerInfo): HealthCheck | undefined {
  const raw = c.labels[LABEL_HEALTH_CHECK];
  if (!raw) return undefined;
  try {
    const hc = JSON.parse(raw) as HealthCheck;
    return typeof hc.path === 'string' ? hc : undefined;
  } catch {
    return undefined;
  }
}

export function jobStopGraceMs(c: ContainerInfo): number | undefined {
  const g = c.labels[LABEL_STOP_GRACE];
  return g ? Number(g) : undefined;
}

/**
 * The JobInfo for a job container; `known` is the agent's in-memory view of its state,
 * `reason` why it crashed (boot timeout, health check, out of memory).
 */
export function jobInfoOf(c: ContainerInfo, hostId: string, known: JobState | undefined, reason?: string): JobInfo {
  let state: JobState;
  if (c.state === 'running') state = known === 'up' ? 'up' : 'starting';
  else if (c.state === 'created') state = 'starting';
  else state = known === 'down' || isOneOff(c) ? 'down' : 'crashed';
  const info: JobInfo = {
    id: c.id,
    app: c.labels[LABEL_APP] ?? '',
    release: Number(c.labels[LABEL_RELEASE] ?? 0),
    processType: c.labels[LABEL_PROCESS_TYPE] ?? '',
    hostId,
    state,
  };
  if (c.ip) info.ip = c.ip;
  const port = jobPort(c);
  if (port !== undefined) info.port = port;
  if (c.exitCode !== undefined) info.exitCode = c.exitCode;
  if (c.oomKilled !== undefined) info.oomKilled = c.oomKilled;
  if (c.startedAt) info.startedAt = c.startedAt;
  if (c.labels[LABEL_DYNO]) info.dyno = c.labels[LABEL_DYNO];
  if (isOneOff(c)) info.oneOff = true;
  const memory = Number(c.labels[LABEL_MEMORY]);
  if (memory > 0) info.memoryBytes = memory;
  if (reason && state !== 'up' && state !== 'starting') info.reason = reason;
  return info;
}
