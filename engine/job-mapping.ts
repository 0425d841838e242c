/**
 * How a scheduler job maps onto a container and back. Everything needed to rebuild a
 * JobInfo is kept in the container's labels, so a restarted agent knows its jobs from
 * the engine alone.
 */
import type { JobInfo, JobSpec, JobState } from '../shared';
import type { ContainerInfo, ContainerSpec } from './types';

export const LABEL_JOB = 'io.paas.job';
export const LABEL_APP = 'io.paas.app';
export const LABEL_RELEASE = 'io.paas.release';
export const LABEL_PROCESS_TYPE = 'io.paas.process-type';
export const LABEL_PORT = 'io.paas.port';

export function jobContainerSpec(job: JobSpec): ContainerSpec {
  const labels: Record<string, string> = {
    [LABEL_JOB]: 'true',
    [LABEL_APP]: job.app,
    [LABEL_RELEASE]: String(job.release),
    [LABEL_PROCESS_TYPE]: job.processType,
  };
  const env: Record<string, string> = { ...job.env };
  if (job.port !== undefined) {
    labels[LABEL_PORT] = String(job.port);
    env.PORT = String(job.port);
  }
  env.DYNO ??= `${job.processType}.${job.id}`;
  return {
    id: job.id,
    image: job.image,
    cmd: job.cmd,
    env,
    memoryBytes: job.memoryBytes,
    network: 'bridge',
    user: { uid: 1000, gid: 1000 },
    hostname: job.id,
    labels,
  };
}

export function isJob(c: ContainerInfo): boolean {
  return c.labels[LABEL_JOB] === 'true';
}

export function jobPort(c: ContainerInfo): number | undefined {
  const p = c.labels[LABEL_PORT];
  return p ? Number(p) : undefined;
}

/** The JobInfo for a job container; `known` is the agent's in-memory view of its state. */
export function jobInfoOf(c: ContainerInfo, hostId: string, known: JobState | undefined): JobInfo {
  let state: JobState;
  if (c.state === 'running') state = known === 'up' ? 'up' : 'starting';
  else if (c.state === 'created') state = 'starting';
  else state = known === 'down' ? 'down' : 'crashed';
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
  return info;
}
