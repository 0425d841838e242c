/**
 * Placement throughput (scheduler/placement.ts): placements per second with 1,000
 * simulated hosts and 10,000 jobs, and how it grows with hosts (100/1k/5k) and jobs
 * (1k/10k/50k), each against round-robin placement of the same jobs on the same hosts
 * in the same run (the trivial baseline: no spreading, first host that fits).
 */
import { placeJobs, placeRoundRobin, type HostCapacity, type PlacementRequest } from '../scheduler/placement';
import { printTable, type BenchResult } from './table';

const MiB = 1024 * 1024;

function simulate(hostCount: number, jobCount: number): { hosts: HostCapacity[]; requests: PlacementRequest[] } {
  // Hosts of 16–64 GiB, half of it used; apps of 1–20 processes in 3 sizes.
  const hosts = Array.from({ length: hostCount }, (_, i) => ({ id: `host-${String(i).padStart(5, '0')}`, freeBytes: ((16 + (i % 4) * 16) * 1024 * MiB) / 2 }));
  const sizes = [512 * MiB, 1024 * MiB, 2560 * MiB];
  const requests: PlacementRequest[] = [];
  for (let app = 0; requests.length < jobCount; app++) {
    const n = Math.min(1 + (app % 20), jobCount - requests.length);
    for (let k = 0; k < n; k++) requests.push({ key: `app-${app}/web`, memoryBytes: sizes[app % 3] });
  }
  return { hosts, requests };
}

/** Placements per second, the best of a few runs (the first warms the JIT up). */
function rate(fn: () => { placed: unknown[] }, jobs: number): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return jobs / best;
}

export function benchScheduler(): BenchResult[] {
  const results: BenchResult[] = [];
  const cases: [number, number][] = [[1_000, 10_000], [100, 10_000], [5_000, 10_000], [1_000, 1_000], [1_000, 50_000]];
  const rows: string[] = [];
  for (const [h, j] of cases) {
    const { hosts, requests } = simulate(h, j);
    const check = placeJobs(hosts, requests);
    const paas = rate(() => placeJobs(hosts, requests), j);
    const baseline = rate(() => placeRoundRobin(hosts, requests), j);
    rows.push(`${String(h).padStart(6)} hosts ${String(j).padStart(6)} jobs: ${Math.round(paas).toLocaleString('en')} placements/s (${check.unplaced.length} unplaced), round-robin ${Math.round(baseline).toLocaleString('en')}/s`);
    results.push({ name: `placement, ${h} hosts × ${j} jobs`, value: paas / 1000, unit: 'k placements/s', baseline: baseline / 1000, baselineName: 'round-robin' });
  }
  console.error(['placement throughput:', ...rows].join('\n  '));
  return results;
}

// `node dist/bench/scheduler.js` runs this benchmark alone.
if (require.main === module) printTable(benchScheduler());
