/**
 * The scheduler's loop: list what hosts run, compare with what the controller wants,
 * act, report. It runs on every relevant event and every `reconcileMs`, one pass at a
 * time, so a restart of the scheduler (or a lost event) only delays convergence. Only
 * the leader (leader.ts) acts; the others keep their view of hosts and routers warm.
 *
 * A pass: list the jobs of every live host → report them to the controller → forget
 * the jobs of dead hosts → read the desired state and the operators' host decisions →
 * advance each app's deploy (deploys.ts) → plan (plan.ts) → stop what goes (web jobs
 * leave every router first) → place and start what is missing (placement.ts) → start
 * requested one-off processes.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { NatsConnection } from 'nats';
import { launchCommand } from '../buildpacks';
import type { ControllerClient, DesiredApp, OneOffRequest } from '../controller';
import { coalesce, errorMessage, HOST_RESTART_GRACE_MS, KeyedMutex, PaasError, publish, request, subjects, subscribe, type JobInfo, type JobSpec, type Logger } from '../shared';
import { AppNames } from './app-names';
import { CrashBackoff } from './backoff';
import { Deploys, type DeployTransition } from './deploys';
import { jobId, nextDynoNames } from './dyno-names';
import { HostRegistry } from './hosts';
import { startLeaderElection, type LeaderLock } from './leader';
import { placeJobs, type PlacementRequest } from './placement';
import { plan } from './plan';
import { RouterRegistry, unrouteEverywhere } from './router-drain';
import { sizeLimits } from './sizes';

export interface SchedulerOptions {
  client: ControllerClient;
  nc: NatsConnection;
  log: Logger;
  reconcileMs?: number;
  /** SIGTERM → SIGKILL window of stopped jobs (Heroku: 30 s). */
  stopGraceMs: number;
  /** Memory of a job whose size is unknown and of jobs that do not report theirs. */
  defaultMemoryBytes: number;
  /** New jobs a deploy starts ahead of the ones up; default: the whole formation (preboot). 1: one by one. */
  deployBatchSize?: number;
  /** A deploy not done by then fails (default 120 s). */
  deployTimeoutMs?: number;
  /** Crashes of new jobs after which a deploy fails (default 5). */
  deployMaxFailedStarts?: number;
  /** A host silent this long is dead and its jobs are replaced (default 10 s). */
  hostDeadAfterMs?: number;
  /** How long a host whose agent stopped cleanly (a restart, an upgrade) is waited for before it counts as dead (default 60 s). */
  hostRestartGraceMs?: number;
  /** Stable id of this scheduler for the leader lock (default: the machine's host name). */
  instanceId?: string;
  /** Off: this scheduler leads without a lock (tests of one scheduler). */
  leaderLock?: boolean;
  /** No action until every host had time to send a heartbeat (default 3 s), so a fresh scheduler does not see half the cluster as empty. */
  warmupMs?: number;
  /**
   * The registry builds publish images to (PAAS_REGISTRY_URL: http(s)://host:port[/namespace]);
   * jobs name it, scheme included, so a host lacking the image pulls it the way it was pushed.
   */
  registry?: string;
}

export interface RunningScheduler {
  /** Runs one pass now (or after the one in progress) and resolves when it is done. */
  reconcile(): Promise<void>;
  isLeader(): boolean;
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

const live = (j: JobInfo): boolean => j.state === 'starting' || j.state === 'up';

interface StartRequest extends PlacementRequest {
  spec: JobSpec;
}

interface RestartRequest {
  app: string;
  type?: string;
  dyno?: string;
}

export function startScheduler(o: SchedulerOptions): RunningScheduler {
  const hosts = new HostRegistry(o.hostDeadAfterMs ?? 10_000, Date.now, o.hostRestartGraceMs ?? HOST_RESTART_GRACE_MS);
  const routers = new RouterRegistry();
  const backoff = new CrashBackoff();
  const deploys = new Deploys({ timeoutMs: o.deployTimeoutMs, maxFailedStarts: o.deployMaxFailedStarts });
  /** What the controller was last told about each job, and on which host it runs. */
  const reported = new Map<string, { key: string; hostId: string }>();
  const stopping = new Set<string>();
  /** Jobs stopped a moment ago: a pass that listed them before they went must not stop them again. */
  const stopped = new Map<string, number>();
  /** Jobs to replace (restarts, stops of formation processes), by job id. */
  const marks = new Map<string, 'before' | 'after'>();
  const restarts: RestartRequest[] = [];
  const appNames = new AppNames();
  /** Jobs forgotten because their host died (when): if the host returns, these are the duplicates. */
  const lost = new Map<string, number>();
  const oneOffsStarted = new Set<string>();
  /** Last reason logged per app/type that could not be placed, so the log says it once. */
  const unplacedLogged = new Map<string, string>();
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const leader: LeaderLock | undefined =
    o.leaderLock === false
      ? undefined
      : startLeaderElection({ nc: o.nc, instanceId: o.instanceId ?? `scheduler-${os.hostname()}`, log: o.log, onChange: (l) => l && void reconcile() });
  const isLeader = (): boolean => !leader || leader.isLeader();

  /**
   * One report per job at a time, in the order they were made: a pass's report and an
   * event's for the same job otherwise race as two HTTP requests, and the controller may
   * keep the older state ('starting') while `reported` holds the newer ('up'), which no
   * later pass would correct (the dedup below skips it).
   */
  const reportLocks = new KeyedMutex();
  const report = (job: JobInfo): Promise<void> => reportLocks.run(job.id, () => reportNow(job));
  const keyOf = (state: string, ip: string | null | undefined, reason: string | null | undefined): string => `${state}/${ip ?? ''}/${reason ?? ''}`;
  const reportNow = async (job: JobInfo): Promise<void> => {
    const key = keyOf(job.state, job.ip, job.reason);
    if (reported.get(job.id)?.key === key) return;
    if (job.state === 'down') {
      await o.client.forgetJob(job.id);
      reported.delete(job.id);
      return;
    }
    await o.client.reportJob(job.id, {
      app: job.app,
      release: job.release,
      type: job.processType,
      host: job.hostId,
      state: job.state,
      ip: job.ip,
      port: job.port,
      ...(job.dyno ? { dyno: job.dyno } : {}),
      ...(job.oneOff ? { oneOff: true } : {}),
      ...(job.reason ? { reason: job.reason } : {}),
      ...(job.memoryBytes ? { memoryBytes: job.memoryBytes } : {}),
    });
    reported.set(job.id, { key, hostId: job.hostId });
  };
  /** Takes a job out of the controller (its host died or no longer has it), in turn with its reports. */
  const forget = (id: string): Promise<void> =>
    reportLocks.run(id, () => o.client.forgetJob(id)).then(
      () => void reported.delete(id),
      (err) => o.log.warn('forget failed', { job: id, err: errorMessage(err) }),
    );
  const reportQuietly = (job: JobInfo): Promise<void> =>
    report(job).catch((err) => {
      // A job of a destroyed app: the plan stops it in this pass; nothing to report.
      const gone = err instanceof PaasError && err.status === 404;
      o.log[gone ? 'debug' : 'warn']('report failed', { job: job.id, err: errorMessage(err) });
    });

  /**
   * Stops jobs the way Heroku does: web jobs leave every router (confirmed) and the
   * controller's route table, then SIGTERM, SIGKILL after the grace period.
   */
  const stopJobs = async (jobs: JobInfo[]): Promise<void> => {
    const todo = jobs.filter((j) => !stopping.has(j.id));
    if (todo.length === 0) return;
    for (const j of todo) stopping.add(j.id);
    const routed = todo.filter((j) => j.processType === 'web' && live(j)).map((j) => j.id);
    await unrouteEverywhere(o.nc, routers, routed, o.log);
    for (const job of todo) {
      void reportQuietly({ ...job, state: 'down' })
        .then(() => request(o.nc, subjects.jobStop.name(job.hostId), { id: job.id, graceMs: live(job) ? o.stopGraceMs : 0 }, o.stopGraceMs + 15_000))
        .then(() => o.log.info('job stopped', { job: job.id, app: job.app, dyno: job.dyno, host: job.hostId }))
        .catch((err) => {
          // The host removed it already (crashed and cleaned up, or a one-off that ended): done.
          if (err instanceof PaasError && err.code === 'job_not_found') return;
          o.log.warn('stopping a job failed', { job: job.id, err: errorMessage(err) });
        })
        .finally(() => {
          stopped.set(job.id, Date.now());
          stopping.delete(job.id);
          marks.delete(job.id);
          lost.delete(job.id);
          void reconcile();
        });
    }
  };

  const specFor = (d: DesiredApp, type: string, dyno: string, command: string, size: string | undefined, extraEnv: Record<string, string> = {}, oneOff = false): JobSpec | undefined => {
    const release = d.release;
    if (!release) return undefined;
    const web = type === 'web' && !oneOff;
    const limits = sizeLimits(size);
    const check = web ? release.healthchecks?.[type] : undefined;
    const pullFrom = (release as { pullFrom?: string }).pullFrom ?? (o.registry ? `${o.registry}/${release.image}` : undefined);
    return {
      id: jobId(d.app, dyno, crypto.randomBytes(5).toString('hex')),
      app: d.app,
      release: release.version,
      processType: type,
      image: release.image,
      cmd: processArgv(release.launcher, command),
      env: { ...release.config, ...extraEnv, DYNO: dyno, ...(web ? { PORT: String(WEB_PORT) } : {}) },
      memoryBytes: limits.memoryBytes,
      cpus: limits.cpus,
      port: web ? WEB_PORT : undefined,
      dyno,
      stopGraceMs: o.stopGraceMs,
      ...(check ? { healthCheck: check } : {}),
      ...(oneOff ? { oneOff: true } : {}),
      ...(pullFrom ? { pullFrom } : {}),
    };
  };

  const startOn = async (hostId: string, spec: JobSpec): Promise<void> => {
    try {
      const info = await request<JobInfo>(o.nc, subjects.jobStart.name(hostId), spec, 60_000);
      o.log.info('job started', { job: info.id, dyno: spec.dyno, host: hostId, app: spec.app, release: spec.release });
      await reportQuietly({ ...info, dyno: info.dyno ?? spec.dyno, oneOff: info.oneOff ?? spec.oneOff, memoryBytes: info.memoryBytes ?? spec.memoryBytes });
    } catch (err) {
      o.log.error('starting a job failed', { app: spec.app, dyno: spec.dyno, host: hostId, err: errorMessage(err) });
    }
  };

  /** A timer so a backoff delay ends with a pass, not with the next periodic one. */
  const retryIn = (ms: number): void => {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void reconcile();
    }, ms + 50);
  };

  const applyTransition = async (t: DeployTransition): Promise<void> => {
    const d = t.deploy;
    try {
      if (t.kind === 'start') {
        o.log.info('deploy started', { app: d.app, release: d.release, from: d.from });
        d.id = (await o.client.startDeploy(d.app, { release: d.release, from: d.from })).id;
      } else if (t.kind === 'succeeded') {
        o.log.info('deploy succeeded', { app: d.app, release: d.release });
        if (d.id) await o.client.finishDeploy(d.id, { status: 'succeeded' });
      } else if (t.kind === 'failed') {
        o.log.warn('deploy failed', { app: d.app, release: d.release, reason: t.reason });
        if (d.id) await o.client.finishDeploy(d.id, { status: 'failed', reason: t.reason });
      } else o.log.info('deploy superseded', { app: d.app, release: d.release, reason: t.reason });
    } catch (err) {
      o.log.warn('could not record the deploy on the controller', { app: d.app, release: d.release, step: t.kind, err: errorMessage(err) });
    }
  };

  /** Turns pending `ps:restart` requests into marks on the jobs they name. */
  const markRestarts = (running: JobInfo[]): void => {
    for (const r of restarts.splice(0)) {
      for (const j of running) {
        if (j.app !== r.app || j.oneOff || !live(j)) continue;
        if (r.type && j.processType !== r.type) continue;
        if (r.dyno && j.dyno !== r.dyno) continue;
        marks.set(j.id, j.processType === 'web' ? 'after' : 'before');
      }
    }
  };

  const warmUntil = Date.now() + (o.warmupMs ?? 3_000);

  const runPass = async (): Promise<void> => {
    if (!isLeader()) return;
    if (Date.now() < warmUntil) return retryIn(warmUntil - Date.now());
    const alive = hosts.alive();
    // A host that does not answer (dying, or busy) is not seen as empty: its last
    // heartbeat's jobs stand in for it, and nothing new is placed on it this pass.
    const silent = new Set<string>();
    const lists = await Promise.all(
      alive.map((h) =>
        request<JobInfo[]>(o.nc, subjects.jobList.name(h.id), {}, 5_000).catch((err) => {
          o.log.warn('host did not list its jobs; using its last heartbeat', { host: h.id, err: errorMessage(err) });
          silent.add(h.id);
          return h.jobs;
        }),
      ),
    );
    let all = lists.flat();
    // What the controller really holds, so that the comparison below (and `reported`'s
    // dedup) works from the truth, not from what this process believes it sent: a report
    // lost or overtaken (a timeout, a retry, a restart of either side) is corrected here.
    await o.client.recordedJobs().then(
      (rows) => {
        const recorded = new Set(rows.map((r) => r.id));
        for (const id of [...reported.keys()]) if (!recorded.has(id)) reported.delete(id);
        for (const r of rows) reported.set(r.id, { key: keyOf(r.state, r.ip, r.reason), hostId: r.host });
        appNames.learn(rows, all);
      },
      (err) => o.log.debug('could not read the recorded jobs; comparing with what was sent', { err: errorMessage(err) }),
    );
    all = all.map((j) => appNames.current(j));
    // A job of a host back from the dead stays out of the controller: it is about to stop.
    for (const job of all) if (!lost.has(job.id)) await reportQuietly(job);

    // Jobs of dead hosts are lost: out of the routes now, replaced below.
    const aliveIds = new Set(alive.map((h) => h.id));
    const gone = [...reported].filter(([, r]) => !aliveIds.has(r.hostId)).map(([id]) => id);
    if (gone.length) {
      o.log.warn('host dead: replacing its jobs', { jobs: gone });
      await unrouteEverywhere(o.nc, routers, gone, o.log);
      for (const id of gone) {
        lost.set(id, Date.now());
        await forget(id);
      }
    }

    // Jobs a live host no longer has (removed behind the scheduler's back) leave the controller too.
    const listed = new Set(all.map((j) => j.id));
    for (const [id, r] of [...reported]) {
      if (aliveIds.has(r.hostId) && !silent.has(r.hostId) && !listed.has(id) && !stopping.has(id)) {
        await forget(id);
      }
    }

    const desired = await o.client.desiredState();
    await o.client.schedulerHosts().then(
      (list) => hosts.setPolicies(list),
      (err) => o.log.debug('no host decisions from the controller', { err: errorMessage(err) }),
    );
    for (const [id, at] of stopped) if (Date.now() - at > 60_000) stopped.delete(id);
    const running = all.filter((j) => !stopping.has(j.id) && !stopped.has(j.id));
    markRestarts(running);
    for (const id of marks.keys()) if (!running.some((j) => j.id === id)) marks.delete(id);
    // A dead host may come back much later; after an hour its jobs are no one's duplicates.
    for (const [id, at] of lost) if (Date.now() - at > 3_600_000) lost.delete(id);

    for (const d of desired) for (const t of deploys.observe(d, all)) await applyTransition(t);

    const actions = plan(desired, running, {
      batchSize: o.deployBatchSize,
      failed: (app, version) => deploys.isFailed(app, version),
      replace: (j) => marks.get(j.id) ?? (hosts.evacuating(j.hostId) ? 'after' : undefined),
      stopFirst: (j) => lost.has(j.id) || hosts.evacuating(j.hostId),
    });
    // A returned job the plan keeps (no replacement yet) is a job like any other again.
    const stopIds = new Set(actions.stop.map((j) => j.id));
    for (const j of running) if (lost.has(j.id) && !stopIds.has(j.id)) lost.delete(j.id);
    // One-off jobs that ended (or crashed) are removed; they never restart.
    const endedOneOffs = running.filter((j) => j.oneOff && !live(j));
    await stopJobs([...actions.stop, ...endedOneOffs]);

    const byApp = new Map(desired.map((d) => [d.app, d]));
    const requests: StartRequest[] = [];
    const budgets = new Map<string, number>();
    for (const action of actions.start) {
      const d = byApp.get(action.app);
      if (!d?.release) continue;
      if (!budgets.has(action.app)) {
        const starting = running.filter((j) => j.app === action.app && j.release === action.release && j.state === 'starting' && !j.oneOff).length;
        const formation = d.formation.reduce((sum, f) => sum + (d.release?.process_types[f.type] === undefined ? 0 : f.quantity), 0);
        budgets.set(action.app, deploys.startBudget(action.app, action.release, starting, formation));
      }
      const budget = budgets.get(action.app) ?? 0;
      const count = Math.min(action.count, budget);
      budgets.set(action.app, budget - count);
      if (count <= 0) continue;
      const wait = backoff.delayMs(action.app, action.type, action.release);
      if (wait > 0) {
        retryIn(wait);
        continue;
      }
      const size = d.formation.find((f) => f.type === action.type)?.size;
      const taken = running.filter((j) => j.app === action.app && j.processType === action.type && j.release === action.release && live(j) && !marks.has(j.id) && !hosts.evacuating(j.hostId)).map((j) => j.dyno);
      for (const dyno of nextDynoNames(action.type, taken, count)) {
        const spec = specFor(d, action.type, dyno, d.release.process_types[action.type] ?? '', size);
        if (spec) requests.push({ key: `${action.app}/${action.type}`, memoryBytes: spec.memoryBytes, spec });
      }
    }
    for (const d of desired) {
      for (const run of d.oneOffs ?? []) {
        if (oneOffsStarted.has(run.id) || all.some((j) => j.id === run.id)) continue;
        const spec = oneOffSpec(d, run);
        if (spec) requests.push({ key: `${d.app}/run`, memoryBytes: spec.memoryBytes, spec });
      }
    }
    if (requests.length === 0) return;
    const perKey = new Map<string, Map<string, number>>();
    for (const j of all) {
      if (!live(j)) continue;
      const key = `${j.app}/${j.processType}`;
      const m = perKey.get(key) ?? new Map<string, number>();
      m.set(j.hostId, (m.get(j.hostId) ?? 0) + 1);
      perKey.set(key, m);
    }
    const capacities = hosts.capacities(all, o.defaultMemoryBytes).filter((h) => !silent.has(h.id));
    const placement = placeJobs(capacities, requests, perKey);
    for (const u of placement.unplaced) {
      if (unplacedLogged.get(u.request.key) !== u.reason) {
        o.log.warn('job fits on no host; retrying every pass', { app: u.request.spec.app, dyno: u.request.spec.dyno, reason: u.reason });
        reportUnplaced(u.request.spec, u.reason);
      }
      unplacedLogged.set(u.request.key, u.reason);
    }
    for (const p of placement.placed) {
      unplacedLogged.delete(p.request.key);
      if (p.request.spec.oneOff) oneOffsStarted.add(p.request.spec.id);
    }
    await Promise.all(placement.placed.map((p) => startOn(p.hostId, p.request.spec)));
  };

  /** The app's owner sees it in the app's log stream (`paas logs`), not only the operator in ours. */
  const reportUnplaced = (spec: JobSpec, reason: string): void => {
    try {
      publish(o.nc, subjects.appLog.name(spec.app), subjects.appLog.schema, {
        app: spec.app,
        jobId: spec.id,
        processType: spec.processType,
        hostId: 'scheduler',
        stream: 'stderr',
        source: 'paas',
        dyno: spec.dyno,
        time: new Date().toISOString(),
        line: `Process ${spec.dyno ?? spec.processType} could not be placed: ${reason}. It starts as soon as a host has room.`,
      });
    } catch (err) {
      o.log.debug('could not publish the placement failure', { app: spec.app, err: errorMessage(err) });
    }
  };

  const oneOffSpec = (d: DesiredApp, run: OneOffRequest): JobSpec | undefined => {
    const spec = specFor(d, 'run', run.dyno, run.command, run.size, run.env, true);
    // The controller names the job: it finds the process it asked for under this id.
    return spec && { ...spec, id: run.id, processType: run.dyno.split('.')[0] || 'run', ...(run.attach ? { attach: true } : {}) };
  };

  const passes = coalesce(runPass, { onError: (err) => o.log.warn('reconcile pass failed', { err: errorMessage(err) }), stopped: () => closed });
  const reconcile = (): Promise<void> => passes.run();

  const subs = [
    subscribe(o.nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, o.log, (hb) => {
      if (hosts.heartbeat(hb)) void reconcile();
    }),
    subscribe(o.nc, subjects.routerHeartbeat.name, subjects.routerHeartbeat.schema, o.log, (hb) => routers.heartbeat(hb.routerId)),
    subscribe(o.nc, subjects.jobChanged.name, subjects.jobChanged.schema, o.log, async (changed) => {
      const job = appNames.current(changed);
      if (job.state === 'crashed' && !job.oneOff) {
        backoff.crashed(job.app, job.processType, job.release);
        deploys.crashed(job);
      }
      if (isLeader()) await reportQuietly(job);
      void reconcile();
    }),
    subscribe(o.nc, subjects.dynosRestart.name, subjects.dynosRestart.schema, o.log, (r) => {
      restarts.push(r);
      void reconcile();
    }),
    subscribe(o.nc, subjects.dynosStop.name, subjects.dynosStop.schema, o.log, (r) => {
      // A formation process is replaced (stop first); a one-off one simply ends.
      restarts.push({ app: r.app, dyno: r.dyno });
      void stopOneOff(r.app, r.dyno);
      void reconcile();
    }),
    ...[subjects.releaseCreated, subjects.formationUpdated, subjects.appDeleted, subjects.appRenamed, subjects.oneOffRequested, subjects.hostsChanged].map((s) =>
      subscribe(o.nc, s.name, s.schema, o.log, () => void reconcile()),
    ),
  ];

  /** `paas ps:stop run.4821`: the one-off job ends now. */
  const stopOneOff = async (app: string, dyno: string): Promise<void> => {
    if (!isLeader()) return;
    for (const h of hosts.alive()) {
      const jobs = await request<JobInfo[]>(o.nc, subjects.jobList.name(h.id), {}, 5_000).catch(() => [] as JobInfo[]);
      const mine = jobs.map((j) => appNames.current(j)).filter((j) => j.app === app && j.oneOff && j.dyno === dyno);
      if (mine.length) await stopJobs(mine);
    }
  };

  const timer = setInterval(() => void reconcile(), o.reconcileMs ?? 5_000);

  return {
    reconcile,
    isLeader,
    async stop() {
      closed = true;
      clearInterval(timer);
      if (retryTimer) clearTimeout(retryTimer);
      for (const s of subs) s.unsubscribe();
      await passes.idle();
      await leader?.stop();
    },
  };
}
