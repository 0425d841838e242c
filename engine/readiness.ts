/**
 * Readiness of a job: a web process is ready once its port accepts a TCP connection,
 * any other process once it has stayed up for a second.
 */
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

/** Resolves true when ready, false when the time ran out or the check was aborted. */
export async function waitReady(c: ReadinessCheck): Promise<boolean> {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  if (c.port === undefined || !c.ip) {
    const since = c.startedAt ? Date.parse(c.startedAt) : Date.now();
    await sleep(Math.max(0, since + 1000 - Date.now()));
    return !c.signal.aborted;
  }
  const deadline = Date.now() + c.timeoutMs;
  while (!c.signal.aborted && Date.now() < deadline) {
    if (await tcpConnects(c.ip, c.port)) return !c.signal.aborted;
    await sleep(c.everyMs ?? 150);
  }
  return false;
}
