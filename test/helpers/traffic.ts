/** Steady HTTP traffic through the router, for the tests that change hosts under load (T14, T18). */
import http from 'node:http';

export interface Sample {
  start: number;
  end: number;
  ok: boolean;
  detail: string;
}

export interface Traffic {
  /** Stops sending, waits for the requests in flight, and returns every sample in start order. */
  stop(): Promise<Sample[]>;
}

/** Traffic still running: stopped by stopAllTraffic() in after() when a test failed before its own stop(), or it would keep the file's process alive. */
const running = new Set<Traffic>();

/** One new connection per request (as browsers' first requests are); ok is a 200 whose body holds `expect`. */
export function steadyTraffic(port: number, host: string, perSecond: number, expect = 'Hello from shell-hello'): Traffic {
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const start = Date.now();
    const p = new Promise<void>((resolve) => {
      const done = (ok: boolean, detail: string): void => {
        samples.push({ start, end: Date.now(), ok, detail });
        resolve();
      };
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => done(res.statusCode === 200 && body.includes(expect), `${res.statusCode}`));
        res.on('error', (err) => done(false, err.message));
      });
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (err) => done(false, err.message));
      req.end();
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  }, 1000 / perSecond);
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
