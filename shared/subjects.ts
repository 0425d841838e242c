/**
 * The catalogue of NATS subjects: one name and one zod schema each, named for the
 * publisher and the event. Every message on the wire is parsed with its schema, so a
 * malformed message is rejected where it arrives, never half-used.
 */
import { z } from 'zod';

/** What the scheduler asks a host's engine to run: one process of one release. */
export const jobSpec = z.object({
  /** Job id, unique across the cluster; also the container id on the host. */
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,62}$/),
  app: z.string(),
  release: z.number().int().positive(),
  processType: z.string(),
  /** Image reference in the host's image store (name:tag). */
  image: z.string(),
  /** argv; for Procfile processes this is bash -c with the Procfile command. Absent: the image's ENTRYPOINT/CMD. */
  cmd: z.array(z.string()).min(1).optional(),
  env: z.record(z.string(), z.string()),
  memoryBytes: z.number().int().positive(),
  /** The port the process must bind ($PORT) when it is a web process. */
  port: z.number().int().positive().optional(),
});
export type JobSpec = z.infer<typeof jobSpec>;

export const jobState = z.enum(['starting', 'up', 'crashed', 'down']);
export type JobState = z.infer<typeof jobState>;

/** What a host reports about a job it runs (or ran). */
export const jobInfo = z.object({
  id: z.string(),
  app: z.string(),
  release: z.number().int(),
  processType: z.string(),
  hostId: z.string(),
  state: jobState,
  ip: z.string().optional(),
  port: z.number().int().optional(),
  exitCode: z.number().int().nullable().optional(),
  oomKilled: z.boolean().optional(),
  startedAt: z.string().optional(),
});
export type JobInfo = z.infer<typeof jobInfo>;

export const hostHeartbeat = z.object({
  hostId: z.string(),
  /** Address at which the router and other hosts reach this host's containers. */
  address: z.string(),
  memoryBytes: z.number(),
  cpus: z.number(),
  runtime: z.string(),
  jobs: z.array(jobInfo),
  at: z.string(),
});
export type HostHeartbeat = z.infer<typeof hostHeartbeat>;

export const jobStopRequest = z.object({ id: z.string(), graceMs: z.number().int().nonnegative().optional() });
export type JobStopRequest = z.infer<typeof jobStopRequest>;

/** One line an app process wrote, for the platform's log stream (issue #8 builds on it). */
export const appLogLine = z.object({
  app: z.string(),
  jobId: z.string(),
  processType: z.string(),
  hostId: z.string(),
  stream: z.enum(['stdout', 'stderr']),
  /** RFC 3339 with nanoseconds, as the host stamped it. */
  time: z.string(),
  line: z.string(),
});
export type AppLogLine = z.infer<typeof appLogLine>;

export const appEvent = z.object({ app: z.string() });
export const releaseCreated = z.object({ app: z.string(), version: z.number().int().positive() });

/** A reply on a request subject: either the value or an error a caller can show. */
export const replyError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const subjects = {
  /** controller → all: a new release is current; the scheduler deploys it. */
  releaseCreated: { name: 'paas.controller.release.created', schema: releaseCreated },
  /** controller → all: process counts or sizes changed. */
  formationUpdated: { name: 'paas.controller.formation.updated', schema: appEvent },
  /** controller → routers: the set of live web jobs or domains of an app changed. */
  routesChanged: { name: 'paas.controller.routes.changed', schema: appEvent },
  /** controller → all: an app was destroyed. */
  appDeleted: { name: 'paas.controller.app.deleted', schema: appEvent },
  /** engine → scheduler: a host is alive, with its capacity and jobs (every few seconds). */
  hostHeartbeat: { name: 'paas.engine.host.heartbeat', schema: hostHeartbeat },
  /** engine → scheduler: a job changed state on its host (up, crashed, down). */
  jobChanged: { name: 'paas.engine.job.changed', schema: jobInfo },
  /** engine → log stream: every line of every app process, per app. */
  appLog: { name: (app: string) => `paas.engine.log.${app}`, schema: appLogLine },
  /** scheduler → engine of one host (request/reply). */
  jobStart: { name: (hostId: string) => `paas.engine.${hostId}.jobs.start`, schema: jobSpec },
  jobStop: { name: (hostId: string) => `paas.engine.${hostId}.jobs.stop`, schema: jobStopRequest },
  jobList: { name: (hostId: string) => `paas.engine.${hostId}.jobs.list`, schema: z.object({}) },
} as const;
