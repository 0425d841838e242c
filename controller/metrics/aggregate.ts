/**
 * The hour of raw metrics folded into one-minute points, as Heroku's metrics page shows
 * them: per minute, the app's requests (by status class and router error code) with
 * latency percentiles from the routers' summed histograms, its crashes, and per process
 * type the mean and max of its processes' memory and CPU. Pure, for tests.
 */
import { histogramQuantile, mergeCounts, type MetricMessage } from '../../shared';

export interface TypePoint {
  /** Processes that reported in the minute. */
  dynos: number;
  memory_mb: { mean: number; max: number };
  memory_limit_mb: number;
  cpu_percent: { mean: number; max: number };
}

export interface MinutePoint {
  /** Start of the minute (UTC). */
  time: string;
  requests: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  /** Total router time (connect + service), ms; null without requests. */
  latency_ms: { p50: number; p95: number; p99: number } | null;
  restarts: number;
  types: Record<string, TypePoint>;
}

export interface AppMetrics {
  app: string;
  resolution_seconds: 60;
  from: string;
  to: string;
  points: MinutePoint[];
}

const MB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

export function aggregateMinutes(app: string, messages: MetricMessage[], minutes: number, now = Date.now()): AppMetrics {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const start = end - minutes * 60_000;
  const slots = Array.from({ length: minutes }, (_, i) => ({
    requests: 0,
    statuses: {} as Record<string, number>,
    errors: {} as Record<string, number>,
    latency: {} as Record<string, number>,
    restarts: 0,
    // type → job → its samples in the minute
    samples: new Map<string, Map<string, { mem: number[]; cpu: number[]; limit: number }>>(),
    time: new Date(start + i * 60_000).toISOString(),
  }));
  for (const m of messages) {
    const at = Date.parse(m.time);
    if (!(at >= start && at < end)) continue;
    const slot = slots[Math.floor((at - start) / 60_000)]!;
    if (m.kind === 'router') {
      slot.requests += m.requests;
      mergeCounts(slot.statuses, m.statuses);
      mergeCounts(slot.errors, m.errors);
      mergeCounts(slot.latency, m.latency);
    } else if (m.kind === 'event') {
      slot.restarts++;
    } else {
      let byJob = slot.samples.get(m.type);
      if (!byJob) slot.samples.set(m.type, (byJob = new Map()));
      let s = byJob.get(m.jobId);
      if (!s) byJob.set(m.jobId, (s = { mem: [], cpu: [], limit: m.memoryLimitBytes }));
      s.mem.push(m.memoryBytes);
      s.cpu.push(m.cpuPercent);
    }
  }
  const points = slots.map((s): MinutePoint => {
    const types: Record<string, TypePoint> = {};
    for (const [type, byJob] of s.samples) {
      const jobs = [...byJob.values()];
      const mem = jobs.flatMap((j) => j.mem);
      const cpu = jobs.flatMap((j) => j.cpu);
      types[type] = {
        dynos: jobs.length,
        memory_mb: { mean: round1(mem.reduce((a, b) => a + b, 0) / mem.length / MB), max: round1(Math.max(...mem) / MB) },
        memory_limit_mb: round1(Math.max(...jobs.map((j) => j.limit)) / MB),
        cpu_percent: { mean: round1(cpu.reduce((a, b) => a + b, 0) / cpu.length), max: round1(Math.max(...cpu)) },
      };
    }
    const q = (x: number): number => round1(histogramQuantile(s.latency, x) ?? 0);
    return {
      time: s.time,
      requests: s.requests,
      statuses: s.statuses,
      errors: s.errors,
      latency_ms: s.requests > 0 ? { p50: q(0.5), p95: q(0.95), p99: q(0.99) } : null,
      restarts: s.restarts,
      types,
    };
  });
  return { app, resolution_seconds: 60, from: new Date(start).toISOString(), to: new Date(end).toISOString(), points };
}
