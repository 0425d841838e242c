/**
 * Counts the router's requests per app (status classes, Heroku error codes, a latency
 * histogram) and publishes them every `intervalMs` on `paas.metrics.<app>.router.<id>`,
 * for `paas metrics`. A window with no request for an app publishes nothing for it.
 * Counting is a few map updates per request, off the response path's hot part (it runs
 * when the response closed).
 */
import type { NatsConnection } from 'nats';
import { latencyBucket, metricSubjects, publish, routerSample, type Logger, type RouterSample } from '../shared';

export type RequestObserver = (app: string, status: number, code: string | undefined, totalMs: number) => void;

interface Window {
  requests: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  latency: Record<string, number>;
}

const inc = (r: Record<string, number>, k: string): void => void (r[k] = (r[k] ?? 0) + 1);

export class RequestMetrics {
  private windows = new Map<string, Window>();
  private windowStart = Date.now();

  readonly observe: RequestObserver = (app, status, code, totalMs) => {
    let w = this.windows.get(app);
    if (!w) {
      w = { requests: 0, statuses: {}, errors: {}, latency: {} };
      this.windows.set(app, w);
    }
    w.requests++;
    inc(w.statuses, `${Math.floor(status / 100)}xx`);
    if (code) inc(w.errors, code);
    inc(w.latency, String(latencyBucket(totalMs)));
  };

  /** The window's samples, and a new window begins. */
  take(routerId: string, now = Date.now()): RouterSample[] {
    const windowMs = Math.max(1, now - this.windowStart);
    const time = new Date(now).toISOString();
    const out = [...this.windows].map(([app, w]): RouterSample => ({ kind: 'router', app, routerId, time, windowMs, ...w }));
    this.windows = new Map();
    this.windowStart = now;
    return out;
  }
}

/** Publishes the counts every interval; returns the stop function. */
export function publishRequestMetrics(metrics: RequestMetrics, nc: NatsConnection, routerId: string, log: Logger, intervalMs = 10_000): () => void {
  const flush = (): void => {
    for (const s of metrics.take(routerId)) {
      try {
        publish(nc, metricSubjects.router(s.app, routerId), routerSample, s);
      } catch (err) {
        log.debug('router metrics not published', { app: s.app, err });
      }
    }
  };
  const timer = setInterval(flush, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    flush();
  };
}
