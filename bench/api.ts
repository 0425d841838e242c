/**
 * Controller API throughput on SQLite and on MariaDB: a read (`GET /apps/:app/releases`)
 * and a write (`PATCH config-vars`, one release each), against the same server's
 * `GET /health` (no database) as the baseline, in the same process.
 */
import http from 'node:http';
import { startTestController, type Dialect } from '../controller/test-fixture';
import { tokenOf } from '../controller/test-fixture';
import type { BenchResult } from './table';

async function rate(url: string, method: string, path: (i: number) => string, body: (i: number) => string | undefined, token: string, total: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const start = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const payload = body(i);
      await new Promise<void>((resolve, reject) => {
        const req = http.request(url + path(i), { method, agent, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) } }, (res) => {
          res.resume();
          res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`${method} ${path(i)}: ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(payload);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchApi(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const dialect of ['sqlite', 'mariadb'] as Dialect[]) {
    const t = await startTestController(dialect, { rateLimitPerHour: 1_000_000 });
    try {
      await t.admin.createApp('bench');
      for (let i = 0; i < 20; i++) await t.admin.setConfig('bench', { [`SEED_${i}`]: 'x' });
      const token = tokenOf(t.admin);
      const url = t.controller.url;
      const health = await rate(url, 'GET', () => '/health', () => undefined, token, 2000, 8);
      const read = await rate(url, 'GET', () => '/apps/bench/releases', () => undefined, token, 1000, 8);
      const write = await rate(url, 'PATCH', () => '/apps/bench/config-vars', (i) => JSON.stringify({ [`K_${i % 50}`]: String(i) }), token, 200, 4);
      results.push(
        { name: `api (${dialect}): GET releases`, value: read, unit: 'req/s', baseline: health, baselineName: 'GET /health' },
        { name: `api (${dialect}): config:set (a release each)`, value: write, unit: 'req/s', baseline: health, baselineName: 'GET /health' },
      );
    } finally {
      await t.close();
    }
  }
  return results;
}
