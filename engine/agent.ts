/**
 * The host agent: the engine's face on NATS. The scheduler sends jobs.start / jobs.stop /
 * jobs.list requests to this host; the agent runs them on the engine, tracks readiness
 * (starting → up: $PORT accepts connections, then the health check if any), notices
 * crashes (exit code, OOM kill), writes Heroku's state lines into the app's log stream,
 * and publishes jobChanged events and a heartbeat with the host's capacity and jobs.
 */
import os from 'node:os';
import type { NatsConnection, Subscription } from 'nats';
import { NotFoundError, publish, subjects, subscribe, type JobInfo, type JobSpec, type JobState, type Logger } from '../shared';
import type { ContainerInfo, EngineApi } from './types';
import { isJob, isOneOff, jobContainerSpec, jobHealthCheck, jobInfoOf, jobPort, jobStopGraceMs } from './job-mapping';
import { KeyedMutex } from '../shared/keyed-mutex';
import { checkJobReady } from './readiness';
import { forwardLogs } from './agent-logs';
import { LogShipper } from './log-shipper';
import { publishCrash, sampleJobMetrics } from './agent-metrics';
import { ensureJobImage } from './agent-pull';
import { lines, shippedPaasLines, OOM_REASON, type StateWord } from './agent-state-lines';
import { exitedToRemove } from './agent-retention';
import { serveAttach } from './agent-attach';
import { followPeers } from './agent-peers';
import { loadJobStates, saveJobStates } from './agent-job-states';

export interface AgentOptions {
  engine: EngineApi;
  nc: NatsConnection;
  hostId: string;
  /** Address at which others reach this host's containers (sent in heartbeats). */
  address: string;
  /** This host's container subnet (CIDR), sent in heartbeats for routes between hosts. */
  subnet?: string;
  /**
   * The control plane's addresses or CIDRs (PAAS_NODE_CIDR, NATS's address): with every
   * host's address from the heartbeats, the nodes that reach containers and that
   * containers may not reach (isolation-rules.ts).
   */
  controlPlane?: string[];
  log: Logger;
  heartbeatMs?: number;
  /** How often each job's memory and CPU are sampled for `paas ps` and `paas metrics` (10 s). */
  metricsIntervalMs?: number;
  /** How long a web process has to accept connections on $PORT (default 60 s, Heroku's R10). */
  bootTimeoutMs?: number;
  /** SIGTERM → SIGKILL when neither the stop request nor the job says (default 30 s, Heroku's). */
  stopGraceMs?: number;
  /** Wait between two failed health check attempts (default 1 s). */
  healthCheckWaitMs?: number;
  /** How long an ended one-off's container stays so its last lines are forwarded (default 1 s). */
  oneOffLingerMs?: number;
  /** How long an attached one-off waits for its terminal (default 60 s, then R13). */
  attachWaitMs?: number;
  /**
   * Where the jobs' states are kept across agent restarts (agent-job-states.ts): a
   * restarted agent reports a job that was up as up at once. None: re-checked.
   */
  stateFile?: string;
}

export interface AgentHandle {
  /** Resolves once the agent has re-checked the jobs it found running at start. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** What the agent knows of a job beyond the engine. */
interface JobRecord {
  state: JobState;
  /** Why it crashed: boot timeout, failed health check, out of memory. */
  reason?: string;
  /** jobs.stop is under way: its exit is not a crash. */
  stopping?: boolean;
  /** Found running by a restarted agent: its starting → up was logged before. */
  adopted?: boolean;
  /** An attached one-off's command ended with this status (its container's own is the holder's). */
  attachedExit?: number | null;
}

export function startAgent(o: AgentOptions): AgentHandle {
  const { engine, nc, hostId, log } = o;
  const bootTimeoutMs = o.bootTimeoutMs ?? 60_000;
  const stopGraceMs = o.stopGraceMs ?? 30_000;
  const known = new Map<string, JobRecord>();
  const checks = new Map<string, AbortController>();
  const timers = new Set<NodeJS.Timeout>();
  const locks = new KeyedMutex();
  // One shipper per host carries every log line of its processes (bounded, fair, in order).
  const shipper = new LogShipper(nc, log.child('logs'));
  const paasLine = shippedPaasLines(shipper, hostId, log);
  // What the previous agent on this data dir knew, until the adoption below takes it over.
  const saved = o.stateFile ? loadJobStates(o.stateFile) : new Map<string, JobRecord>();
  const persist = (): void => {
    if (!o.stateFile) return;
    try {
      saveJobStates(o.stateFile, new Map([...saved, ...known]));
    } catch (err) {
      log.warn('could not save the jobs\' states', { err });
    }
  };

  const stateOf = (id: string): JobRecord | undefined => known.get(id) ?? saved.get(id);
  const info = (c: ContainerInfo): JobInfo => jobInfoOf(c, hostId, stateOf(c.id)?.state, stateOf(c.id)?.reason);
  const changed = (c: ContainerInfo): void => {
    persist();
    try {
      publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, info(c));
    } catch (err) {
      log.warn('could not publish jobChanged', { id: c.id, err });
    }
  };
  const record = (id: string): JobRecord => {
    let r = known.get(id);
    if (!r) known.set(id, (r = { state: 'starting' }));
    return r;
  };
  const later = (ms: number, fn: () => Promise<void>): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      void fn().catch((err) => log.warn('deferred job cleanup failed', { err }));
    }, ms);
    timers.add(t);
  };

  /** starting → up when ready; a web job that never binds its port or fails its health check is killed and crashed. */
  const checkReadiness = async (c: ContainerInfo): Promise<void> => {
    checks.get(c.id)?.abort();
    const ac = new AbortController();
    checks.set(c.id, ac);
    const result = await checkJobReady({
      ip: c.ip,
      port: jobPort(c),
      startedAt: c.startedAt,
      timeoutMs: bootTimeoutMs,
      signal: ac.signal,
      healthCheck: jobHealthCheck(c),
      healthCheckWaitMs: o.healthCheckWaitMs,
    });
    if (ac.signal.aborted) return;
    checks.delete(c.id);
    const now = await engine.inspect(c.id);
    if (!now || now.state !== 'running') return;
    const rec = record(c.id);
    if (result.ready) {
      if (!rec.adopted) paasLine(now, lines.stateChanged('starting', 'up'));
      rec.state = 'up';
      log.info('job up', { id: c.id, ip: now.ip });
      changed(now);
      return;
    }
    log.warn('job not ready', { id: c.id, reason: result.reason });
    rec.reason = result.reason;
    paasLine(now, result.reason, 'stderr');
    paasLine(now, lines.killingNow());
    // Reported crashed by the exit listener, with the reason.
    await engine.stop(c.id, 0, { allProcesses: true });
  };

  /** A crash loop restarted under new job ids keeps one exited container per dyno. */
  const pruneExited = async (ended: ContainerInfo): Promise<void> => {
    for (const old of exitedToRemove(await engine.list(), ended)) {
      await locks.run(old.id, async () => {
        const c = await engine.inspect(old.id);
        if (c?.state !== 'stopped') return;
        await engine.remove(old.id);
        known.delete(old.id);
        saved.delete(old.id);
        log.debug('old exited job removed', { id: old.id });
      });
    }
  };

  const unsubscribeExit = engine.onExit((c) => {
    if (!isJob(c)) return;
    checks.get(c.id)?.abort();
    checks.delete(c.id);
    const rec = record(c.id);
    if (c.oomKilled) {
      rec.reason = OOM_REASON;
      paasLine(c, OOM_REASON, 'stderr');
    }
    // A stop asked for: stopJob writes the exit and then the state change, in that order
    // (from here the two could interleave with it), and publishes 'down'.
    if (rec.stopping) return;
    paasLine(c, lines.exited(rec.attachedExit !== undefined ? rec.attachedExit : c.exitCode));
    const from: StateWord = rec.state === 'up' ? 'up' : 'starting';
    if (isOneOff(c)) {
      paasLine(c, lines.stateChanged(from, 'complete'));
      rec.state = 'down';
      log.info('one-off job ended', { id: c.id, exitCode: c.exitCode });
      changed(c);
      // Its output is forwarded as it is written; the linger lets the last lines out.
      later(o.oneOffLingerMs ?? 1000, () => removeEnded(c.id));
      return;
    }
    paasLine(c, lines.stateChanged(from, 'crashed'));
    publishCrash(nc, c, rec.reason, log);
    rec.state = 'crashed';
    log.info('job crashed', { id: c.id, exitCode: c.exitCode, oomKilled: c.oomKilled, reason: rec.reason });
    changed(c);
    void pruneExited(c).catch((err) => log.warn('could not prune exited jobs', { id: c.id, err }));
  });

  const removeEnded = (id: string): Promise<void> =>
    locks.run(id, async () => {
      const c = await engine.inspect(id);
      if (c?.state !== 'stopped') return;
      await engine.remove(id);
      known.delete(id);
      saved.delete(id);
      persist();
    });

  const startJob = (job: JobSpec): Promise<JobInfo> =>
    locks.run(job.id, async () => {
      await ensureJobImage(engine, job, log);
      const existing = await engine.inspect(job.id);
      if (existing?.state === 'running') return info(existing);
      if (existing) await engine.remove(job.id); // an old, exited run of the same job id
      known.set(job.id, { state: 'starting' });
      persist();
      const created = await engine.create(jobContainerSpec(job));
      // Before start: a process that exits at once must not log its exit before its start.
      paasLine(created, lines.starting(job.cmd));
      let c: ContainerInfo;
      try {
        c = await engine.start(job.id);
      } catch (err) {
        await engine.remove(job.id).catch(() => undefined);
        known.delete(job.id);
        throw err;
      }
      if (job.oneOff) {
        // No readiness for a one-off: it is up once it runs (unless it already ended).
        const rec = record(job.id);
        if (rec.state === 'starting' && c.state === 'running') {
          rec.state = 'up';
          paasLine(c, lines.stateChanged('starting', 'up'));
          changed(c);
          if (job.attach) attached.waiting(c);
        }
        return info(c);
      }
      void checkReadiness(c).catch((err) => log.error('readiness check failed', { id: job.id, err }));
      return info(c);
    });

  const stopJob = (id: string, requestGraceMs: number | undefined): Promise<JobInfo> =>
    locks.run(id, async () => {
      const c = await engine.inspect(id);
      if (!c || !isJob(c)) throw new NotFoundError(`no job ${id} on host ${hostId}`, 'job_not_found');
      const rec = record(id);
      const from: StateWord = rec.state === 'up' ? 'up' : 'starting';
      rec.stopping = true;
      checks.get(id)?.abort();
      let stopped = c;
      if (c.state === 'running') {
        const graceMs = requestGraceMs ?? jobStopGraceMs(c) ?? stopGraceMs;
        paasLine(c, lines.stopping());
        // The engine sends SIGKILL at the same moment; this only tells the app's log why.
        const r12 = setTimeout(() => {
          paasLine(c, lines.exitTimeout(graceMs));
          paasLine(c, lines.killing());
        }, graceMs);
        try {
          stopped = await engine.stop(id, graceMs, { allProcesses: true });
        } finally {
          clearTimeout(r12);
        }
        paasLine(c, lines.exited(stopped.exitCode ?? null));
        paasLine(c, lines.stateChanged(from, 'down'));
      }
      rec.state = 'down';
      await engine.remove(id);
      const down = jobInfoOf(stopped, hostId, 'down');
      known.delete(id);
      saved.delete(id);
      persist();
      publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, down);
      return down;
    });

  // Attached one-offs end when their command does: the holder goes, and the exit listener
  // above says the command's status and completes the dyno as for any one-off.
  const attached = serveAttach({
    engine,
    nc,
    hostId,
    log: log.child('attach'),
    waitMs: o.attachWaitMs,
    end: (c, code, why) =>
      locks.run(c.id, async () => {
        const rec = record(c.id);
        rec.attachedExit = code;
        if (why) paasLine(c, why, 'stderr');
        if ((await engine.inspect(c.id))?.state === 'running') await engine.stop(c.id, 0, { allProcesses: true });
      }),
  });

  const listJobs = async (): Promise<JobInfo[]> => (await engine.list()).filter(isJob).map(info);

  const subs: Subscription[] = [
    subscribe(nc, subjects.jobStart.name(hostId), subjects.jobStart.schema, log, async (job, reply) => reply(await startJob(job))),
    subscribe(nc, subjects.jobStop.name(hostId), subjects.jobStop.schema, log, async (req, reply) => reply(await stopJob(req.id, req.graceMs))),
    subscribe(nc, subjects.jobList.name(hostId), subjects.jobList.schema, log, async (_req, reply) => reply(await listJobs())),
  ];

  const heartbeat = async (restarting = false): Promise<void> => {
    try {
      publish(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, {
        ...(restarting ? { restarting } : {}),
        hostId,
        address: o.address,
        subnet: o.subnet,
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

  // After an agent restart: readiness of the jobs still running is not known; re-check
  // it. One-offs that ended while no agent watched are removed, as they would have been.
  // A job the previous agent saw up is up: the same container, still running, is not
  // checked again (a check would report it starting meanwhile, and the router drop it).
  const ready = (async () => {
    const containers = await engine.list();
    for (const c of containers) {
      if (!isJob(c) || known.has(c.id)) continue;
      const was = saved.get(c.id);
      if (c.state === 'running' && was?.state === 'up') {
        known.set(c.id, { state: 'up' });
        if (isOneOff(c)) attached.waiting(c);
      } else if (c.state === 'running' && was?.state === 'starting') {
        // Its "starting" line was written; its "up" line was not yet.
        known.set(c.id, { state: 'starting' });
        if (!isOneOff(c)) void checkReadiness(c).catch((err) => log.error('readiness check failed', { id: c.id, err }));
      } else if (c.state === 'running') {
        known.set(c.id, { state: isOneOff(c) ? 'up' : 'starting', adopted: true });
        if (!isOneOff(c)) void checkReadiness(c).catch((err) => log.error('readiness check failed', { id: c.id, err }));
        // Its terminal went with the agent before; nobody can reach it now, so R13 ends it.
        else attached.waiting(c);
      } else if (isOneOff(c) && c.state === 'stopped') {
        await removeEnded(c.id).catch((err) => log.warn('could not remove an ended one-off', { id: c.id, err }));
      } else if (was) {
        known.set(c.id, { ...was, ...(was.state === 'up' ? { state: 'crashed' } : {}) });
      }
    }
    // Jobs whose containers went while no agent watched are forgotten.
    const present = new Set(containers.map((c) => c.id));
    for (const id of saved.keys()) if (!present.has(id)) saved.delete(id);
    persist();
  })();

  const stopLogs = forwardLogs(engine, shipper, hostId, log);
  const stopPeers = followPeers(engine, nc, hostId, [o.address, ...(o.controlPlane ?? [])], log.child('isolation'));
  const stopMetrics = sampleJobMetrics(engine, nc, hostId, log, o.metricsIntervalMs);

  return {
    ready,
    async stop() {
      stopLogs();
      stopPeers();
      stopMetrics();
      attached.stop();
      clearInterval(timer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      unsubscribeExit();
      for (const ac of checks.values()) ac.abort();
      checks.clear();
      for (const s of subs) s.unsubscribe();
      await ready.catch(() => undefined);
      persist();
      // The containers run on: the scheduler is told to wait (bounded) for the next agent
      // on this data dir instead of counting the host dead and replacing its jobs.
      await heartbeat(true);
      // The last lines (a stop's "Process exited") still reach the stream, briefly waited for.
      await Promise.race([shipper.drained(), new Promise((r) => setTimeout(r, 2_000).unref())]);
      await shipper.close();
    },
  };
}
