/**
 * Logs end to end: lines a container writes, as a `paas logs --tail` client receives
 * them (container → conmon's file → the agent's tail → the shipper → NATS/JetStream →
 * the controller → HTTP → the CLI). Baseline, same run and same lines: conmon's own
 * record of each line in the container's log file on the host (its timestamp, to the
 * nanosecond), the floor every log system on this host starts from.
 *
 * - burst: 10,000 lines written by `seq` as fast as it can (the shipper's burst
 *   allowance per process); lines per second as the tail client received them, against
 *   the rate conmon wrote them;
 * - ticks: a line every 50 ms stamped with the container's clock (the host's); the
 *   delay to the tail client at the 99th percentile, against the delay to conmon's file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, loginAsAdmin, newSettings, newUser, ROOT, sampleRepo, sleep, startPaas, type Cli } from '../test/helpers/paas';
import { destroyApp, stopPaas } from './cleanup';
import { printTable, type BenchResult } from './table';

const APP = 'logbench';
const BRIDGE = 'paasc9';
const CIDR = '10.93.0.1/24';
const LINES = 10_000;

/** Lines received by the tail client: burst numbers and tick delays, with receive times (ms since epoch). */
interface Seen {
  burstAt: number[];
  tickDelays: number[];
}

function tailClient(user: Cli, dyno: string, seen: Seen): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'logs', '--tail', '-a', APP, '--ps', dyno, '--source', 'app', '-n', '0'], { env: { ...process.env, HOME: user.home }, stdio: ['ignore', 'pipe', 'inherit'] });
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const now = Date.now();
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (/ line \d+$/.test(l)) seen.burstAt.push(now);
      const tick = / calm \d+ (\d+)$/.exec(l);
      if (tick) seen.tickDelays.push(now - Number(tick[1]));
    }
  });
  return child;
}

/** conmon's records of the container (k8s-file: `<RFC 3339 ns time> stdout F <line>`): times of burst lines, delays of ticks. */
function fromLogFile(file: string): Seen {
  const seen: Seen = { burstAt: [], tickDelays: [] };
  for (const rec of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\S+) std(?:out|err) [FP] (.*)$/.exec(rec);
    if (!m) continue;
    const at = Date.parse(m[1]!.replace(/(\.\d{3})\d*/, '$1'));
    if (/^line \d+$/.test(m[2]!)) seen.burstAt.push(at);
    const tick = /^calm \d+ (\d+)$/.exec(m[2]!);
    if (tick) seen.tickDelays.push(at - Number(tick[1]));
  }
  return seen;
}

/** Lines per second between the first and the last line, and how many. */
function rate(times: number[]): { perSecond: number; count: number } {
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return { perSecond: span > 0 ? times.length / span : times.length, count: times.length };
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.99 * xs.length) - 1)] ?? 0;

/** Scales `type` to 1 and returns its container's log file. */
async function scaleUp(user: Cli, dataDir: string, type: string): Promise<string> {
  const dir = path.join(dataDir, 'engine', 'containers');
  const before = new Set(fs.readdirSync(dir));
  const r = user.paas(['ps:scale', `${type}=1`, '-a', APP]);
  if (r.status !== 0) throw new Error(r.stderr);
  const id = await eventually('the new container', async () => fs.readdirSync(dir).find((d) => !before.has(d)), 60_000);
  return path.join(dir, id, 'output.log');
}

export async function benchLogs(): Promise<BenchResult[]> {
  const settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_STOP_GRACE_MS: '2000' });
  const paas = await startPaas(settings);
  const user = newUser();
  const stops: (() => void)[] = [];
  try {
    loginAsAdmin(user, paas);
    const repo = sampleRepo(user, 'log-writer');
    if (user.paas(['apps:create', APP], repo).status !== 0) throw new Error('apps:create failed');
    if (user.paas(['config:set', `LOG_LINES=${LINES}`, '-a', APP]).status !== 0) throw new Error('config:set failed');
    const push = user.git(['push', 'paas', 'main'], repo);
    if (push.status !== 0) throw new Error(`push failed:\n${push.stderr}`);

    // Burst: the tail is connected before the process starts.
    const viaPaas: Seen = { burstAt: [], tickDelays: [] };
    const tail = tailClient(user, 'burst.1', viaPaas);
    stops.push(() => tail.kill('SIGINT'));
    await sleep(1_000);
    const burstLog = await scaleUp(user, settings.dataDir, 'burst');
    await eventually('the burst at the tail client', async () => (viaPaas.burstAt.length >= LINES ? true : undefined), 60_000).catch(() => undefined);
    const raw = fromLogFile(burstLog);
    const burstPaas = rate(viaPaas.burstAt);
    const burstRaw = rate(raw.burstAt);
    console.log(`logs burst: ${burstPaas.count} of ${LINES} lines reached the --tail client (${burstRaw.count} in the container's file)`);

    // Ticks: a stamped line every 50 ms for 20 s.
    const ticks: Seen = { burstAt: [], tickDelays: [] };
    const tail2 = tailClient(user, 'worker.1', ticks);
    stops.push(() => tail2.kill('SIGINT'));
    await sleep(1_000);
    const tickLog = await scaleUp(user, settings.dataDir, 'worker');
    await sleep(20_000);
    const ticksRaw = fromLogFile(tickLog);
    console.log(`logs ticks: ${ticks.tickDelays.length} lines at the tail client, p50 ${[...ticks.tickDelays].sort((a, b) => a - b)[ticks.tickDelays.length >> 1]} ms`);

    const results: BenchResult[] = [
      { name: `logs: ${LINES / 1000}k-line burst → --tail client`, value: burstPaas.perSecond, unit: 'lines/s', baseline: burstRaw.perSecond, baselineName: "conmon into the container's log file" },
      { name: 'logs: line → --tail client, p99 delay', value: p99(ticks.tickDelays), unit: 'ms', baseline: Math.max(1, p99(ticksRaw.tickDelays)), baselineName: "into the container's log file" },
    ];
    return results;
  } finally {
    for (const stop of stops) stop();
    await destroyApp(user, settings, APP);
    await stopPaas(paas, settings, user, { name: BRIDGE, cidr: CIDR });
  }
}

if (require.main === module) {
  benchLogs().then(
    (results) => printTable(results),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
