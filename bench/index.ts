/**
 * `npm run bench`: every benchmark, each against a baseline run in the same process,
 * printed as a table of ratios (never a timed assertion in a test).
 */
import { benchApi } from './api';
import { benchCluster } from './cluster';
import { benchContainers } from './containers';
import { benchLogs } from './logs';
import { benchPull } from '../engine/image-bench';
import { benchPush } from './push';
import { benchRouter } from './router';
import { benchRouterLog } from './router-log';
import { benchRun } from './run';
import { benchScale } from './scale';
import { benchScheduler } from './scheduler';
import { printTable, type BenchResult } from './table';

async function main(): Promise<void> {
  const results: BenchResult[] = [];
  results.push(...(await benchRouter()));
  results.push(...(await benchRouterLog()));
  results.push(...(await benchApi()));
  results.push(...benchScheduler());
  if (process.getuid?.() === 0) {
    results.push(...(await benchContainers()));
    results.push(...(await benchPull()));
    results.push(...(await benchPush()));
    results.push(...(await benchScale()));
    results.push(...(await benchLogs()));
    results.push(...(await benchRun()));
    results.push(...(await benchCluster()));
  }
  else console.error('container benchmarks skipped: they need root');
  printTable(results);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
