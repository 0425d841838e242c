/**
 * The catalogue of NATS subjects: one name and one zod schema each, named for the
 * publisher and the event. Every message on the wire is parsed with its schema, so a
 * malformed message is rejected where it arrives, never half-used.
 */
import { z } from 'zod';
import { attachRequest } from './attach-protocol';

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
  /** The process's name in the formation (web.1, worker.2, run.4821), as Heroku shows it. */
  dyno: z.string().optional(),
  /** CPU shares of the size (1 = one core's worth, like Heroku's dyno sizes); absent: unlimited. */
  cpus: z.number().positive().optional(),
  /** Readiness beyond "accepts connections on $PORT": an HTTP path that must answer 2xx/3xx (app.json healthchecks, Dokku's format). */
  healthCheck: z
    .object({ path: z.string().startsWith('/'), timeoutMs: z.number().int().positive().optional(), attempts: z.number().int().positive().optional() })
    .optional(),
  /** A one-off process (`paas run`): no readiness, never restarted, removed from the host when it ends. */
  oneOff: z.boolean().optional(),
  /**
   * An attached one-off (`paas run` with a terminal): the container waits, and `cmd` runs
   * only once the user's terminal is attached (jobs.attach), so no output is lost before.
   */
  attach: z.boolean().optional(),
  /** SIGTERM → SIGKILL window when the job is stopped (default 30 s, Heroku's). */
  stopGraceMs: z.number().int().nonnegative().optional(),
  /** Where a host that lacks `image` pulls it from: a full registry reference (host:port/repo:tag). */
  pullFrom: z.string().optional(),
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
  dyno: z.string().optional(),
  oneOff: z.boolean().optional(),
  memoryBytes: z.number().int().optional(),
  /** Why the job is crashed or down, in words a user can act on (boot timeout, health check failed, out of memory). */
  reason: z.string().optional(),
});
export type JobInfo = z.infer<typeof jobInfo>;

export const hostHeartbeat = z.object({
  hostId: z.string(),
  /** Address at which the router and other hosts reach this host's containers. */
  address: z.string(),
  memoryBytes: z.number(),
  cpus: z.number(),
  /** The containers' subnet on this host (CIDR), for routes between hosts. */
  subnet: z.string().optional(),
  runtime: z.string(),
  jobs: z.array(jobInfo),
  at: z.string(),
  /**
   * The agent's last heartbeat as it stops (a restart, an upgrade): its containers run
   * on, and the scheduler waits a bounded time for the next agent before replacing them.
   */
  restarting: z.boolean().optional(),
});
/** How long a host whose agent said `restarting` counts as alive while silent (scheduler and `paas hosts` alike). */
export const HOST_RESTART_GRACE_MS = 60_000;
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
  /** 'app' for the process's own output, 'paas' for the platform's lines about it (state changes, exits). */
  source: z.enum(['app', 'paas']).optional(),
  /** web.1, run.4821: the process name shown in `paas logs` (absent: the job id). */
  dyno: z.string().optional(),
  /** RFC 3339 with nanoseconds, as the host stamped it. */
  time: z.string(),
  line: z.string(),
});
export type AppLogLine = z.infer<typeof appLogLine>;

export const appEvent = z.object({ app: z.string() });
/** `paas apps:rename`: `app` is the new name, `from` the old one. */
export const appRenamed = z.object({ app: z.string(), from: z.string() });
export const releaseCreated = z.object({ app: z.string(), version: z.number().int().positive() });

/** `paas ps:restart [web|web.2]`: no type and no dyno restarts every process of the app. */
export const dynosRestart = z.object({ app: z.string(), type: z.string().optional(), dyno: z.string().optional() });
/** `paas ps:stop web.2` / `run.4821`: a formation process is replaced, a one-off one ends. */
export const dynosStop = z.object({ app: z.string(), dyno: z.string() });
/** A router announces itself, so the scheduler knows whom to ask before a job is stopped. */
export const routerHeartbeat = z.object({ routerId: z.string(), at: z.string() });
/** Asks one router to drop these jobs from its table; it replies once no new request can reach them. */
export const routerUnroute = z.object({ jobIds: z.array(z.string()) });

/** `paas host:join`: a new machine asks to be admitted, with the operator's join token (`paas hosts:join-token`). */
export const hostJoinRequest = z.object({
  token: z.string().min(1).max(200),
  hostId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/),
  /** Where other nodes reach the joining machine (its address toward NATS, or `--address`). */
  address: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/),
});
export type HostJoinRequest = z.infer<typeof hostJoinRequest>;
/** The controller's answer to an admitted host: everything its configuration file needs. */
export const hostJoinReply = z.object({
  hostId: z.string(),
  /** The host's container subnet (its /24 of the cluster's pool) and its bridge's own address in it. */
  subnet: z.string(),
  bridgeCidr: z.string(),
  /** The cluster's registry as hosts reach it, and its token; absent when the control plane has none configured. */
  registryUrl: z.string().optional(),
  registryToken: z.string().optional(),
  /** The registry's account (PAAS_REGISTRY_USER) and the registries spoken to over plain HTTP (PAAS_INSECURE_REGISTRIES). */
  registryUser: z.string().optional(),
  insecureRegistries: z.string().optional(),
  /** PAAS_NODE_CIDR of the control plane (the nodes' networks). */
  nodeCidr: z.string().optional(),
  /** The cluster's NATS servers as hosts reach them; absent: the URL the host joined with. */
  natsUrl: z.string().optional(),
});
export type HostJoinReply = z.infer<typeof hostJoinReply>;

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
  /** controller → all: an app was renamed; its old hostname and name mean nothing any more. */
  appRenamed: { name: 'paas.controller.app.renamed', schema: appRenamed },
  /** controller → routers: an app's TLS certificates or its HTTP→HTTPS redirect changed. */
  certsChanged: { name: 'paas.controller.certs.changed', schema: appEvent },
  /** controller → scheduler: restart processes (a rolling restart, new before old for web). */
  dynosRestart: { name: 'paas.controller.dynos.restart', schema: dynosRestart },
  /** controller → scheduler: stop one process. */
  dynosStop: { name: 'paas.controller.dynos.stop', schema: dynosStop },
  /** controller → scheduler: a one-off process was requested (`paas run`). */
  oneOffRequested: { name: 'paas.controller.run.requested', schema: appEvent },
  /** controller → scheduler: a host was drained, undrained or removed by an operator. */
  hostsChanged: { name: 'paas.controller.hosts.changed', schema: z.object({ hostId: z.string(), removed: z.boolean().optional() }) },
  /** new machine → controller (request/reply): admit a host with a join token; the reply is its configuration. */
  hostJoin: { name: 'paas.controller.hosts.join', schema: hostJoinRequest },
  /** router → scheduler: a router is alive (every few seconds). */
  routerHeartbeat: { name: 'paas.router.heartbeat', schema: routerHeartbeat },
  /** scheduler → one router (request/reply): forget these backends now. */
  routerUnroute: { name: (routerId: string) => `paas.router.${routerId}.unroute`, schema: routerUnroute },
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
  /** controller → engine of one host (request/reply): start an attached one-off's command, its bytes on paas.attach.<session>.* */
  jobAttach: { name: (hostId: string) => `paas.engine.${hostId}.jobs.attach`, schema: attachRequest },
} as const;
