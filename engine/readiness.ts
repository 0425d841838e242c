/**
 * Readiness of a job: a web process is ready once its port accepts a TCP connection
 * and, when the app declares a health check, the check's path answers 2xx/3xx; any
 * other process once it has stayed up for a second. A job that is not ready gets a
 * reason in Heroku's words (R10 boot timeout) or naming the check that failed.
 */
import http from 'node:http';
import { connect } from 'node:net';

export function tcpConnects(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** One GET of a health check: 'ok' for 2xx/3xx, else what went wrong ("status 503", "timeout after 5000 ms"). */
export function httpCheck(host: string, port: number, path: string, timeoutMs: number): Promise<'ok' | string> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    // Our own timer covers the whole exchange (a slow body too), not only idle sockets.
    const timer = setTimeout(() => done(`timeout after ${timeoutMs} ms`), timeoutMs);
    const req = http.get({ host, port, path, agent: false, headers: { 'user-agent': 'paas-health-check' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      done(status >= 200 && status < 400 ? 'ok' : `status ${status}`);
    });
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : err.code ?? err.message));
  });
}

export interface ReadinessCheck {
  ip?: string;
  port?: number;
  /** When the process started; a worker counts as up 1 s after this. */
  startedAt?: string;
  timeoutMs: number;
  /** Stop early (job stopped or crashed meanwhile). */
  signal: AbortSignal;
  everyMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Resolves true when ready, false when the time ran out or the check was aborted. */
export async function waitReady(c: ReadinessCheck): Promise<boolean> {
  if (c.port === undefined || !c.ip) {
    const since = c.startedAt ? Date.parse(c.startedAt) : Date.now();
    await sleep(Math.max(0, since + 1000 - Date.now()), c.signal);
    return !c.signal.aborted;
  }
  const deadline = Date.now() + c.timeoutMs;
  while (!c.signal.aborted && Date.now() < deadline) {
    if (await tcpConnects(c.ip, c.port)) return !c.signal.aborted;
    await sleep(c.everyMs ?? 150, c.signal);
  }
  return false;
}

export interface HealthCheckSpec {
  path: string;
  /** Per attempt; default 5 s. */
  timeoutMs?: number;
  /** Default 5. */
  attempts?: number;
}

export interface JobReadiness extends ReadinessCheck {
  healthCheck?: HealthCheckSpec;
  /** Wait between two failed health check attempts; default 1 s. */
  healthCheckWaitMs?: number;
  /** Injectable for unit tests. */
  tcpReady?: (c: ReadinessCheck) => Promise<boolean>;
  get?: (host: string, port: number, path: string, timeoutMs: number) => Promise<'ok' | string>;
}

export type ReadinessResult = { ready: true } | { ready: false; reason: string; aborted?: boolean };

/** The R10 message, as JobInfo.reason and the app's log show it. */
export function bootTimeoutReason(timeoutMs: number): string {
  return `Error R10 (Boot timeout): web process failed to bind to $PORT within ${Math.round(timeoutMs / 1000)} seconds of launch`;
}

/** Port first (within the boot timeout), then the health check's attempts. */
export async function checkJobReady(c: JobReadiness): Promise<ReadinessResult> {
  const aborted: ReadinessResult = { ready: false, reason: 'readiness check aborted', aborted: true };
  const tcpReady = await (c.tcpReady ?? waitReady)(c);
  if (c.signal.aborted) return aborted;
  if (!tcpReady) return { ready: false, reason: bootTimeoutReason(c.timeoutMs) };
  const hc = c.healthCheck;
  if (!hc || c.port === undefined || !c.ip) return { ready: true };
  const attempts = hc.attempts ?? 5;
  const timeoutMs = hc.timeoutMs ?? 5000;
  const get = c.get ?? httpCheck;
  let last = '';
  for (let i = 1; i <= attempts; i++) {
    last = await get(c.ip, c.port, hc.path, timeoutMs);
    if (c.signal.aborted) return aborted;
    if (last === 'ok') return { ready: true };
    if (i < attempts) await sleep(c.healthCheckWaitMs ?? 1000, c.signal);
    if (c.signal.aborted) return aborted;
  }
  return { ready: false, reason: `health check GET ${hc.path} failed after ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${last})` };
}
