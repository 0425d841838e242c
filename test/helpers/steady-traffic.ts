/**
 * Steady traffic through a router while a test breaks something (RELIABILITY.md T14):
 * a request every 1/perSecond s, each on a new connection (as browsers' first requests
 * are), each with its own X-Request-Id so a failure can be matched with the router's log
 * line for it (which names the dyno). Every request is recorded: when it started and
 * ended, and whether the app answered 200 with the expected text.
 */
import crypto from 'node:crypto';
import http from 'node:http';

export interface Sample {
  start: number;
  end: number;
  ok: boolean;
  /** The status, or the client's error. */
  detail: string;
  requestId: string;
  routerPort: number;
}

export interface Traffic {
  /** Stops sending, waits for the requests in flight, returns every sample by start time. */
  stop(): Promise<Sample[]>;
}

/** Traffic still running: stopped by stopAllTraffic() in a test's after(), or it would keep the file's process alive. */
const running = new Set<Traffic>();

export function steadyTraffic(options: { port: number; host: string; perSecond: number; expect: string; timeoutMs?: number }): Traffic {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const start = Date.now();
    const requestId = crypto.randomUUID();
    const p = new Promise<void>((resolve) => {
      const done = (ok: boolean, detail: string): void => {
        samples.push({ start, end: Date.now(), ok, detail, requestId, routerPort: options.port });
        resolve();
      };
      const req = http.request(
        { host: '127.0.0.1', port: options.port, path: '/', headers: { host: options.host, 'x-request-id': requestId }, agent: false, timeout: options.timeoutMs ?? 10_000 },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => done(res.statusCode === 200 && body.includes(options.expect), `${res.statusCode}`));
          res.on('error', (err) => done(false, err.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => done(false, err.message));
      req.end();
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  }, 1000 / options.perSecond);
  const traffic: Traffic = {
    async stop() {
      clearInterval(timer);
      running.delete(traffic);
      await Promise.all(pending);
      return samples.sort((a, b) => a.start - b.start);
    },
  };
  running.add(traffic);
  return traffic;
}

export async function stopAllTraffic(): Promise<void> {
  await Promise.all([...running].map((t) => t.stop()));
}
