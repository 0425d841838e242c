/**
 * Logs end to end: lines a container writes, as a `paas logs --tail` client receives
 * them (container → conmon's file → the agent's tail → the shipper → JetStream → the
 * controller → HTTP → the CLI). Baseline, same run and same lines: when each line
 * reached the container's own log file on the host (conmon's write, read with inotify),
 * the floor every log system on this host starts from.
 *
 * - burst: 100,000 lines written by `seq` as fast as it can; lines per second between
 *   the first and the last line seen (the tail also reports how many arrived: a burst
 *   beyond what can be shipped is cut by the agent's bound, and says so with L12);
 * - ticks: a line every 50 ms stamped with the container's clock (the host's); the
 *   delay at the 99th percentile.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseCidr } from '../engine';
import { removeBridge } from '../engine/bridge';
import { eventually, newSettings, newUser, ROOT, sampleRepo, sleep, startPaas, type Cli } from '../test/helpers/paas';
import { printTable, type BenchResult } from './table';

const APP = 'logbench';
const BRIDGE = 'paasc9';
const CIDR = '10.93.0.1/24';
const LINES = 100_000;

interface Seen {
  /** When the line with this number was seen (ms, performance.now). */
  at: Map<number, number>;
  /** Delays of stamped lines (ms). */
  delays: number[];
}

function newSeen(): Seen {
  return { at: new Map(), delays: [] };
}

/** Records `line N` and `calm N <ms>` lines. */
function record(seen: Seen, text: string): void {
  const now = performance.now();
  const burst = /line (\d+)$/.exec(text);
  if (burst) {
    seen.at.set(Number(burst[1]), now);
    return;
  }
  const tick = /calm (\d+) (\d+)$/.exec(text);
  if (tick) seen.delays.push(Date.now() - Number(tick[2]));
}

/** Follows a file as it grows (conmon's output.log), line by line, with inotify. */
function followFile(file: string, onLine: (l: string) => void): () => void {
  let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let partial = '';
  const read = (): void => {
    const size = fs.statSync(file).size;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    fs.closeSync(fd);
    offset = size;
    const lines = (partial + buf.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine(l);
  };
  const watcher = fs.watch(file, () => read());
  return () => watcher.close();
}

function tailClient(user: Cli, dyno: string, onLine: (l: string) => void): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'logs', '--tail', '-a', APP, '--ps', dyno, '-n', '0'], { env: { ...process.env, HOME: user.home }, stdio: ['ignore', 'pipe', 'inherit'] });
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) onLine(l);
  });
  return child;
}

/** The container that appeared in the engine's directory since `before`. */
async function newContainer(dataDir: string, before: Set<string>): Promise<string> {
  const dir = path.join(dataDir, 'engine', 'containers');
  const id = await eventually('the new container', async () => fs.readdirSync(dir).find((d) => !before.has(d)), 60_000);
  const file = path.join(dir, id, 'output.log');
  await eventually('its log file', async () => (fs.existsSync(file) ? true : undefined), 30_000);
  return file;
}

const rate = (s: Seen): { perSecond: number; count: number } => {
  const times = [...s.at.values()];
  const span = (Math.max(...times) - Math.min(...times)) / 1000;
  return { perSecond: span > 0 ? s.at.size / span : 0, count: s.at.size };
};

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.99 * xs.length) - 1)] ?? 0;

async function scaleUp(user: Cli, dataDir: string, type: string): Promise<string> {
  const before = new Set(fs.readdirSync(path.join(dataDir, 'engine', 'containers')));
  const r = user.paas(['ps:scale', `${type}=1`, '-a', APP]);
  if (r.status !== 0) throw new Error(r.stderr);
  return newContainer(dataDir, before);
}

export async function benchLogs(): Promise<BenchResult[]> {
  const settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_STOP_GRACE_MS: '2000' });
  const paas = await startPaas(settings);
  const user = newUser();
  const stops: (() => void)[] = [];
  try {
    const login = user.paas(['login', '--api', paas.api, '--email', 'admin@paas.local'], undefined, { PAAS_PASSWORD: paas.adminPassword ?? '' });
    if (login.status !== 0) throw new Error(login.stderr);
    const repo = sampleRepo(user, 'log-writer');
    if (user.paas(['apps:create', APP], repo).status !== 0) throw new Error('apps:create failed');
    if (user.paas(['config:set', `LOG_LINES=${LINES}`, '-a', APP]).status !== 0) throw new Error('config:set failed');
    const push = user.git(['push', 'paas', 'main'], repo);
    if (push.status !== 0) throw new Error(`push failed:\n${push.stderr}`);

    // Burst: the tail is connected before the process starts.
    const viaPaas = newSeen();
    const raw = newSeen();
    const tail = tailClient(user, 'burst.1', (l) => record(viaPaas, l));
    stops.push(() => tail.kill('SIGINT'));
    await sleep(1_000);
    const burstLog = await scaleUp(user, settings.dataDir, 'burst');
    stops.push(followFile(burstLog, (l) => record(raw, l)));
    await eventually('the burst to be written', async () => (raw.at.has(LINES) ? true : undefined), 120_000);
    // The tail has all lines, or has stopped receiving for 3 s.
    for (let last = -1; viaPaas.at.size !== last && !viaPaas.at.has(LINES); ) {
      last = viaPaas.at.size;
      await sleep(3_000);
    }
    const burstPaas = rate(viaPaas);
    const burstRaw = rate(raw);
    console.log(`logs burst: ${burstPaas.count} of ${LINES} lines reached the --tail client (${burstRaw.count} in the container's file)`);

    // Ticks: a stamped line every 50 ms for 20 s.
    const ticksPaas = newSeen();
    const ticksRaw = newSeen();
    const tail2 = tailClient(user, 'worker.1', (l) => record(ticksPaas, l));
    stops.push(() => tail2.kill('SIGINT'));
    await sleep(1_000);
    const tickLog = await scaleUp(user, settings.dataDir, 'worker');
    stops.push(followFile(tickLog, (l) => record(ticksRaw, l)));
    await sleep(20_000);

    const results: BenchResult[] = [
      { name: `logs: ${LINES / 1000}k-line burst → --tail client`, value: burstPaas.perSecond, unit: 'lines/s', baseline: burstRaw.perSecond, baselineName: "into the container's log file" },
      { name: 'logs: line → --tail client, p99 delay', value: p99(ticksPaas.delays), unit: 'ms', baseline: Math.max(1, p99(ticksRaw.delays)), baselineName: "into the container's log file" },
    ];
    user.paas(['apps:destroy', APP, '--confirm', APP]);
    await eventually('the app containers to stop', async () => (fs.readdirSync(path.join(settings.dataDir, 'engine', 'containers')).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    return results;
  } finally {
    for (const stop of stops) stop();
    await paas.stop();
    await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
    fs.rmSync(settings.dataDir, { recursive: true, force: true });
    fs.rmSync(user.home, { recursive: true, force: true });
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
