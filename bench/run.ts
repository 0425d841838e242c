/**
 * `paas run` attached, end to end: the CLI, the API's WebSocket, NATS to the host's
 * agent, an exec in the one-off's container, and back. Baseline, same run and same
 * container image: the OCI runtime's own `exec` into the app's running web container,
 * run on the host, the floor any attached process on this host starts from.
 *
 * - output: 64 MiB written by `head -c` as fast as the pipe takes it; MiB/s as the CLI's
 *   stdout received it (through the 256 KiB send window), against the runtime's exec;
 * - `true`: the whole round trip of a one-off that does nothing (the CLI starting, the
 *   dyno placed and started, the command run, its status back), against `exec true`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually, loginAsAdmin, newSettings, newUser, ROOT, sampleRepo, startPaas, type Cli } from '../test/helpers/paas';
import { destroyApp, stopPaas } from './cleanup';
import { printTable, type BenchResult } from './table';

const APP = 'runbench';
const BRIDGE = 'paasq5';
const CIDR = '10.94.0.1/24';
const BYTES = 64 * 1024 * 1024;

/** Runs argv, counts its stdout bytes; resolves with the bytes and the wall time in ms. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ bytes: number; ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let bytes = 0;
    child.stdout.on('data', (c: Buffer) => (bytes += c.length));
    child.once('error', reject);
    child.once('close', (code) => resolve({ bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6, code }));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

export async function benchRun(): Promise<BenchResult[]> {
  const settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_STOP_GRACE_MS: '2000' });
  const paas = await startPaas(settings);
  const user: Cli = newUser();
  const env = { ...process.env, HOME: user.home };
  try {
    loginAsAdmin(user, paas);
    const repo = sampleRepo(user, 'shell-hello');
    if (user.paas(['apps:create', APP], repo).status !== 0) throw new Error('apps:create failed');
    const push = user.git(['push', 'paas', 'main'], repo);
    if (push.status !== 0) throw new Error(`push failed:\n${push.stderr}`);
    const web = await eventually('web.1 up', async () => (JSON.parse(user.paas(['ps', '--json', '-a', APP]).stdout) as { id: string; name: string; state: string }[]).find((d) => d.name === 'web.1' && d.state === 'up'), 60_000);
    const runtime = fs.existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : 'runc';
    const root = path.join(settings.dataDir, 'engine', 'runtime');
    const exec = (argv: string[]) => timed(runtime, ['--root', root, 'exec', web.id, ...argv], process.env);
    const paasRun = (command: string) => timed(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'run', command, '-a', APP], env);

    const outPaas = await paasRun(`head -c ${BYTES} /dev/zero`);
    const outRaw = await exec(['head', '-c', String(BYTES), '/dev/zero']);
    if (outPaas.bytes !== BYTES || outRaw.bytes !== BYTES) throw new Error(`output: paas run gave ${outPaas.bytes} bytes, exec ${outRaw.bytes}, of ${BYTES}`);
    const mib = BYTES / 1024 / 1024;

    const trips: number[] = [];
    const rawTrips: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await paasRun('true');
      if (r.code !== 0) throw new Error(`paas run true exited ${r.code}`);
      trips.push(r.ms);
      rawTrips.push((await exec(['true'])).ms);
    }
    console.log(`run: 64 MiB in ${outPaas.ms.toFixed(0)} ms via paas run, ${outRaw.ms.toFixed(0)} ms via exec; paas run true: ${trips.map((t) => t.toFixed(0)).join(', ')} ms`);
    return [
      { name: 'run: 64 MiB of output → the CLI', value: mib / (outPaas.ms / 1000), unit: 'MiB/s', baseline: mib / (outRaw.ms / 1000), baselineName: 'runtime exec in the container' },
      { name: 'run: `paas run true`, round trip (median of 5)', value: median(trips), unit: 'ms', baseline: median(rawTrips), baselineName: 'runtime exec true' },
    ];
  } finally {
    await destroyApp(user, settings, APP);
    await stopPaas(paas, settings, user, { name: BRIDGE, cidr: CIDR });
  }
}

if (require.main === module) {
  benchRun().then(
    (results) => printTable(results),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
