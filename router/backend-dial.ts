/**
 * Opening a connection to a backend before a request is sent on it (RELIABILITY.md T5):
 * a backend that refuses, is unreachable or does not complete the TCP handshake within
 * the dial timeout is skipped and the next one is tried, so a dead host's jobs cost no
 * request while the route table still names them. Nothing is sent while dialing, so a
 * retry can never make a request happen twice.
 */
import net from 'node:net';
import type { Backend } from './table';

export const DIAL_TIMEOUT_MS = 1_000;
export const DIAL_ATTEMPTS = 4;

export interface Dialed {
  backend: Backend;
  /** Absent when the backend has an idle keep-alive connection to use instead. */
  socket?: net.Socket;
}

export interface DialFailure {
  backend: Backend;
  error: string;
}

/** One TCP connect, given up after `timeoutMs`. */
export function dialOnce(backend: Backend, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: backend.ip, port: backend.port });
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(Object.assign(new Error(`connect timeout after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/**
 * Tries up to `attempts` backends given by `next` (the table's round-robin), skipping
 * one already tried while others remain. Resolves with the first connected socket (or
 * the first backend with an idle connection), or the failures when none connected.
 */
export async function dialBackend(
  next: () => Backend | undefined,
  options: { attempts?: number; timeoutMs?: number; hasIdle?: (backend: Backend) => boolean } = {},
): Promise<Dialed | { failures: DialFailure[] }> {
  const attempts = options.attempts ?? DIAL_ATTEMPTS;
  const timeoutMs = options.timeoutMs ?? DIAL_TIMEOUT_MS;
  const failures: DialFailure[] = [];
  const tried = new Set<string>();
  for (let i = 0; i < attempts; i++) {
    let backend = next();
    // The round-robin may hand back one that just failed; take another if there is one.
    for (let skip = 0; backend && tried.has(backend.id) && skip < attempts; skip++) backend = next();
    if (!backend) break;
    tried.add(backend.id);
    if (options.hasIdle?.(backend)) return { backend };
    try {
      return { backend, socket: await dialOnce(backend, timeoutMs) };
    } catch (err) {
      failures.push({ backend, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message });
    }
  }
  return { failures };
}
