/**
 * The platform's metrics messages: hosts sample their processes' cgroups, routers count
 * requests and their latencies, and the controller keeps an hour of both in JetStream
 * (`PAAS_METRICS`) for `paas ps` and `paas metrics`. Subjects carry the app, so one
 * app's hour is read with one filter:
 *
 *   paas.metrics.<app>.dyno.<job>      a process's memory and CPU (every 10 s)
 *   paas.metrics.<app>.router.<router> a router's requests for the app (every 10 s with traffic)
 *   paas.metrics.<app>.event           a process crashed
 */
import { z } from 'zod';

/** A subject token: host names and ids may hold dots, which NATS reads as separators. */
const token = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_') || '_';

export const metricSubjects = {
  dyno: (app: string, jobId: string): string => `paas.metrics.${app}.dyno.${token(jobId)}`,
  router: (app: string, routerId: string): string => `paas.metrics.${app}.router.${token(routerId)}`,
  event: (app: string): string => `paas.metrics.${app}.event`,
  /** Everything about one app. */
  app: (app: string): string => `paas.metrics.${app}.>`,
  dynos: (app: string): string => `paas.metrics.${app}.dyno.*`,
  all: 'paas.metrics.>',
};

export const dynoSample = z.object({
  kind: z.literal('dyno'),
  app: z.string(),
  jobId: z.string(),
  dyno: z.string(),
  type: z.string(),
  hostId: z.string(),
  time: z.string(),
  memoryBytes: z.number().nonnegative(),
  memoryLimitBytes: z.number().nonnegative(),
  /** Share of one CPU over the last interval, in percent (200 = two CPUs busy). */
  cpuPercent: z.number().nonnegative(),
  pids: z.number().int().nonnegative(),
});
export type DynoSample = z.infer<typeof dynoSample>;

export const routerSample = z.object({
  kind: z.literal('router'),
  app: z.string(),
  routerId: z.string(),
  /** End of the window. */
  time: z.string(),
  windowMs: z.number().int().positive(),
  requests: z.number().int().nonnegative(),
  /** By class: 2xx, 3xx, 4xx, 5xx. */
  statuses: z.record(z.string(), z.number().int().nonnegative()),
  /** Router errors by Heroku's code: H12, H13... */
  errors: z.record(z.string(), z.number().int().nonnegative()),
  /** Response times as a sparse histogram: bucket index (latencyBucket) → count. */
  latency: z.record(z.string(), z.number().int().nonnegative()),
});
export type RouterSample = z.infer<typeof routerSample>;

export const processEvent = z.object({
  kind: z.literal('event'),
  app: z.string(),
  dyno: z.string(),
  time: z.string(),
  event: z.enum(['crashed']),
  reason: z.string().optional(),
});
export type ProcessEvent = z.infer<typeof processEvent>;

export const metricMessage = z.discriminatedUnion('kind', [dynoSample, routerSample, processEvent]);
export type MetricMessage = z.infer<typeof metricMessage>;

/**
 * Latency buckets grow by 10% from 1 ms (bucket 0: under 1 ms) to about 2 minutes, so a
 * percentile read back from summed histograms is within 10% of the true one, whatever
 * the number of routers, in about 125 buckets.
 */
const GROWTH = 1.1;
export const LATENCY_BUCKETS = 125;

export function latencyBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(LATENCY_BUCKETS - 1, 1 + Math.floor(Math.log(ms) / Math.log(GROWTH)));
}

/** The upper bound of a bucket, in ms. */
export function bucketUpperMs(i: number): number {
  return i === 0 ? 1 : GROWTH ** i;
}

/** The q-quantile (0.5, 0.95, 0.99) of a histogram, as the upper bound of its bucket. */
export function histogramQuantile(h: Record<string, number>, q: number): number | undefined {
  const entries = Object.entries(h)
    .map(([i, n]) => [Number(i), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [i, n] of entries) {
    seen += n;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(entries[entries.length - 1]![0]);
}

export function mergeCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}
