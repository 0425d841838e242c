import { Flags } from '@oclif/core';
import type { AppMetrics } from '../../controller/metrics/aggregate';
import { appFlags, BaseCommand } from '../base';
import { jsonFlag, toJson } from '../json-output';

/** "12:04": the minute's start, UTC, as a table row label. */
const hhmm = (iso: string): string => iso.slice(11, 16);

export default class Metrics extends BaseCommand {
  static override description =
    'an app\'s last hour at one-minute resolution: requests, 5xx, router errors, response time percentiles, restarts, and memory and CPU per process type';
  static override examples = ['$ paas metrics -a hello', '$ paas metrics -a hello --minutes 10', '$ paas metrics -a hello --json'];
  static override flags = {
    ...appFlags,
    minutes: Flags.integer({ description: 'how many of the last minutes (1-60)', default: 15, min: 1, max: 60 }),
    ...jsonFlag('output as JSON (every minute, every field)'),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Metrics);
    const app = this.resolveApp(flags);
    const m = await this.client().metrics(app, flags.minutes);
    if (flags.json) return this.log(toJson(m));
    this.log(`=== ${app} metrics, ${m.from.slice(0, 16).replace('T', ' ')} to ${m.to.slice(11, 16)} UTC, per minute`);
    this.table(rows(m), ['time', 'requests', '5xx', 'errors', 'p50', 'p95', 'p99', 'restarts', ...typeColumns(m)]);
  }
}

function typeColumns(m: AppMetrics): string[] {
  const types = [...new Set(m.points.flatMap((p) => Object.keys(p.types)))].sort();
  return types.flatMap((t) => [`${t} mem`, `${t} cpu`]);
}

function rows(m: AppMetrics): Record<string, string | number>[] {
  return m.points.map((p) => {
    const row: Record<string, string | number> = {
      time: hhmm(p.time),
      requests: p.requests,
      '5xx': p.statuses['5xx'] ?? 0,
      errors: Object.entries(p.errors).map(([code, n]) => `${code}×${n}`).join(' '),
      p50: p.latency_ms ? `${p.latency_ms.p50} ms` : '',
      p95: p.latency_ms ? `${p.latency_ms.p95} ms` : '',
      p99: p.latency_ms ? `${p.latency_ms.p99} ms` : '',
      restarts: p.restarts,
    };
    for (const [type, t] of Object.entries(p.types)) {
      row[`${type} mem`] = `${t.memory_mb.mean}/${t.memory_limit_mb} MB`;
      row[`${type} cpu`] = `${t.cpu_percent.mean}%`;
    }
    return row;
  });
}
