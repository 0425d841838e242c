/**
 * Every core for the router (PAAS_ROUTER_WORKERS, default the CPU count): node:cluster
 * workers, each a whole router of its own (worker-main.ts runs startRouter): its own
 * route table loaded from the controller and kept by NATS events, its own heartbeat and
 * unroute answers, its own NATS connection for router log lines. So an unroute is
 * answered by every worker, and the scheduler, which waits for every live router,
 * stops a job only after each worker dropped it. The workers share the listening
 * sockets; the kernel hands each new connection to one of them (SCHED_NONE: the primary
 * runs the controller and the scheduler too, and stays off the accept path).
 *
 * The primary only forks, passes each worker its settings over IPC (the API token never
 * goes through argv or the environment), replaces a worker that dies, and stops them.
 */
import cluster, { type Worker } from 'node:cluster';
import path from 'node:path';
import { errorMessage, type LogLevel } from '../shared';
import { defaultCertificate } from './default-cert';
import type { RouterOptions, RunningRouter } from './start';

/** What a worker needs to be a router by itself: where the controller and NATS are. */
export interface RouterWorkersOptions {
  count: number;
  controllerUrl: string;
  controllerToken?: string;
  /** Absent: no NATS (no live updates, drain or router logs), as with startRouter without nc. */
  natsUrl?: string;
  logLevel?: LogLevel;
}

/** The serializable part of RouterOptions, sent to each worker. */
export type WorkerSettings = Omit<RouterOptions, 'client' | 'nc' | 'log' | 'workers'> & { connection: Omit<RouterWorkersOptions, 'count'>; index: number };

export type FromWorker = { type: 'listening'; port: number; httpsPort?: number } | { type: 'ready' } | { type: 'tlsReady' } | { type: 'failed'; message: string };
export type ToWorker = { type: 'start'; settings: WorkerSettings } | { type: 'stop' };

const STOP_GRACE_MS = 5_000;

export async function startRouterWorkers(o: RouterOptions & { workers: RouterWorkersOptions }): Promise<RunningRouter> {
  if (!cluster.isPrimary) throw new Error('router workers cannot start workers of their own');
  const { workers, client: _client, nc: _nc, log, ...rest } = o;
  const { count, ...connection } = workers;
  // Made once here, so workers do not race to create the same files.
  const defaultCert = rest.httpsPort === undefined ? undefined : (rest.defaultCertificate ?? defaultCertificate(rest.dataDir ?? '/var/lib/paas', rest.domain ?? 'paas.localhost'));

  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({
    exec: path.join(__dirname, 'worker-main.js'),
    args: [],
    // Profiling flags reach the workers; the test runner's do not.
    execArgv: process.execArgv.filter((a) => !a.startsWith('--test')),
  });

  let stopping = false;
  let port = rest.port;
  let httpsPort = rest.httpsPort;
  const live = new Set<Worker>();
  const pending: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  const tlsReady: Promise<void>[] = [];

  const fork = (index: number, first: boolean): void => {
    const w = cluster.fork({ PAAS_ROUTER_WORKER: String(index) });
    live.add(w);
    const startedAt = Date.now();
    const listening = new Promise<void>((resolve, reject) => {
      let markReady: () => void = () => undefined;
      let markTls: () => void = () => undefined;
      if (first) {
        ready.push(new Promise((r) => (markReady = r)));
        tlsReady.push(new Promise((r) => (markTls = r)));
      }
      w.on('message', (m: FromWorker) => {
        if (m.type === 'listening') {
          port = m.port;
          httpsPort = m.httpsPort;
          resolve();
        } else if (m.type === 'ready') markReady();
        else if (m.type === 'tlsReady') markTls();
        else if (m.type === 'failed') reject(new Error(`router worker ${index} could not start: ${m.message}`));
      });
      w.once('exit', (code, signal) => reject(new Error(`router worker ${index} exited before listening (${signal ?? code})`)));
    });
    if (first) pending.push(listening);
    else listening.catch((err: unknown) => log.warn('replacement router worker failed', { err: errorMessage(err) }));
    w.once('online', () => {
      // The ports as asked: cluster shares one socket per asked address, so port 0 is one port for all.
      const settings: WorkerSettings = { ...rest, defaultCertificate: defaultCert, connection, index };
      w.send({ type: 'start', settings } satisfies ToWorker);
    });
    w.once('exit', (code, signal) => {
      live.delete(w);
      if (stopping) return;
      // A worker that keeps dying right away is replaced once a second, not in a loop.
      const delay = Date.now() - startedAt < 10_000 ? 1_000 : 0;
      log.warn('router worker exited; starting another', { worker: index, code, signal, inMs: delay });
      setTimeout(() => !stopping && fork(index, false), delay).unref();
    });
  };

  for (let i = 0; i < count; i++) fork(i, true);
  try {
    await Promise.all(pending);
  } catch (err) {
    stopping = true;
    for (const w of live) w.process.kill('SIGKILL');
    throw err;
  }
  log.info('router listening', { port, workers: count });

  return {
    port,
    httpsPort,
    ready: Promise.all(ready).then(() => undefined),
    tlsReady: Promise.all(tlsReady).then(() => undefined),
    async close() {
      stopping = true;
      await Promise.all(
        [...live].map(
          (w) =>
            new Promise<void>((resolve) => {
              const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
              w.once('exit', () => (clearTimeout(kill), resolve()));
              if (w.isConnected()) w.send({ type: 'stop' } satisfies ToWorker);
              else w.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
