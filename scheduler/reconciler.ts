/**
 * The scheduler's loop: list what hosts run, compare with what the controller wants,
 * act, report. It runs on every relevant event and every `reconcileMs`, one pass at a
 * time, so a restart of the scheduler (or a lost event) only delays convergence.
 */
import crypto from 'node:crypto';
import type { NatsConnection } from 'nats';
import { launchCommand } from '../buildpacks';
import type { ControllerClient, DesiredApp } from '../controller';
import { errorMessage, request, subjects, subscribe, type JobInfo, type JobSpec, type Logger } from '../shared';
import { CrashBackoff } from './backoff';
import { HostRegistry } from './hosts';
import { plan, type StartAction } from './plan';

export interface SchedulerOptions {
  client: ControllerClient;
  nc: NatsConnection;
  log: Logger;
  reconcileMs?: number;
  stopGraceMs: number;
  defaultMemoryBytes: number;
}

export interface RunningScheduler {
  /** Runs one pass now (or after the one in progress) and resolves when it is done. */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

const WEB_PORT = 5000;

/**
 * The argv of a process: buildpack slugs start through the /app launcher (profile.d,
 * bash); images built from a Dockerfile run their own ENTRYPOINT/CMD unless a Procfile
 * gave the type a command.
 */
function processArgv(launcher: 'buildpack' | 'image', command: string): string[] | undefined {
  if (launcher === 'buildpack') return launchCommand(command);
  return command ? ['/bin/sh', '-c', command] : undefined;
}

export function startScheduler(o: SchedulerOptions): RunningScheduler {
  const hosts = new HostRegistry();
  const backoff = new CrashBackoff();
  const reported = new Map<string, string>();
  const stopping = new Set<string>();
  let pass: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const report = async (job: JobInfo): Promise<void> => {
    const key = `${job.state}/${job.ip ?? ''}`;
    if (reported.get(job.id) === key) return;
    if (job.state === 'down') await o.client.forgetJob(job.id);
    else await o.client.reportJob(job.id, { app: job.app, release: job.release, type: job.processType, host: job.hostId, state: job.state, ip: job.ip, port: job.port });
    reported.set(job.id, key);
  };

  const startJobs = async (action: StartAction, desired: DesiredApp, existing: number): Promise<void> => {
    const release = desired.release;
    if (!release) return;
    if (backoff.delayMs(action.app, action.type, action.release) > 0) return;
    const size = desired.formation.find((f) => f.type === action.type)?.size ?? 'standard';
    for (let i = 0; i < action.count; i++) {
      const host = hosts.place();
      if (!host) {
        o.log.warn('no live host to place a job on', { app: action.app, type: action.type });
        return;
      }
      const web = action.type === 'web';
      const spec: JobSpec = {
        id: `${action.app}-${action.type.toLowerCase().replace(/[^a-z0-9]/g, '')}-${crypto.randomBytes(5).toString('hex')}`,
        app: action.app,
        release: action.release,
        processType: action.type,
        image: release.image,
        cmd: processArgv(release.launcher, release.process_types[action.type] ?? ''),
        env: { ...release.config, DYNO: `${action.type}.${existing + i + 1}`, ...(web ? { PORT: String(WEB_PORT) } : {}) },
        memoryBytes: size === 'performance' ? 4 * o.defaultMemoryBytes : o.defaultMemoryBytes,
        port: web ? WEB_PORT : undefined,
      };
      const info = await request<JobInfo>(o.nc, subjects.jobStart.name(host.id), spec, 60_000);
      o.log.info('job started', { job: info.id, host: host.id, app: action.app, type: action.type, release: action.release });
      await report(info);
    }
  };

  const stopJob = (job: JobInfo): void => {
    if (stopping.has(job.id)) return;
    stopping.add(job.id);
    // The job leaves the route table first, so it gets no new request once SIGTERM comes.
    void report({ ...job, state: 'down' })
      .then(() => request(o.nc, subjects.jobStop.name(job.hostId), { id: job.id, graceMs: o.stopGraceMs }, o.stopGraceMs + 15_000))
      .catch((err) => o.log.warn('stopping a job failed', { job: job.id, err: errorMessage(err) }))
      .finally(() => stopping.delete(job.id));
  };

  const runPass = async (): Promise<void> => {
    const live = hosts.alive();
    const lists = await Promise.all(
      live.map((h) =>
        request<JobInfo[]>(o.nc, subjects.jobList.name(h.id), {}, 5_000).catch((err) => {
          o.log.warn('host did not list its jobs', { host: h.id, err: errorMessage(err) });
          return undefined;
        }),
      ),
    );
    // A host that did not answer is left alone this pass rather than seen as empty.
    if (lists.some((l) => l === undefined)) return;
    const running = lists.flat() as JobInfo[];
    for (const job of running) await report(job).catch((err) => o.log.warn('report failed', { job: job.id, err: errorMessage(err) }));
    const desired = await o.client.desiredState();
    const actions = plan(desired, running);
    for (const job of actions.stop) if (!stopping.has(job.id)) stopJob(job);
    for (const action of actions.start) {
      const d = desired.find((x) => x.app === action.app);
      const existing = running.filter((j) => j.app === action.app && j.processType === action.type && j.release === action.release).length;
      if (d) await startJobs(action, d, existing).catch((err) => o.log.error('starting jobs failed', { app: action.app, err: errorMessage(err) }));
    }
  };

  const reconcile = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (pass) {
      again = true;
      return pass;
    }
    pass = (async () => {
      do {
        again = false;
        try {
          await runPass();
        } catch (err) {
          o.log.warn('reconcile pass failed', { err: errorMessage(err) });
        }
      } while (again && !closed);
    })().finally(() => {
      pass = undefined;
    });
    return pass;
  };

  const subs = [
    subscribe(o.nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, o.log, (hb) => {
      const known = hosts.alive().some((h) => h.id === hb.hostId);
      hosts.heartbeat(hb);
      if (!known) void reconcile();
    }),
    subscribe(o.nc, subjects.jobChanged.name, subjects.jobChanged.schema, o.log, async (job) => {
      if (job.state === 'crashed') backoff.crashed(job.app, job.processType, job.release);
      await report(job).catch((err) => o.log.warn('report failed', { job: job.id, err: errorMessage(err) }));
      void reconcile();
    }),
    subscribe(o.nc, subjects.releaseCreated.name, subjects.releaseCreated.schema, o.log, () => void reconcile()),
    subscribe(o.nc, subjects.formationUpdated.name, subjects.formationUpdated.schema, o.log, () => void reconcile()),
    subscribe(o.nc, subjects.appDeleted.name, subjects.appDeleted.schema, o.log, () => void reconcile()),
  ];
  const timer = setInterval(() => void reconcile(), o.reconcileMs ?? 5_000);

  return {
    reconcile,
    async stop() {
      closed = true;
      clearInterval(timer);
      for (const s of subs) s.unsubscribe();
      await pass;
    },
  };
}
