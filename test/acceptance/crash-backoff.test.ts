/**
 * T15 with a real platform: a worker that exits at once is restarted by Flynn's policy
 * (scheduler/backoff.ts): the first 5 restarts at once, the next ones 10 s after the
 * crash; a new release starts from zero again.
 *
 * The delays are read from the platform's own events on its NATS: the time a crash was
 * announced, and the `startedAt` of the next run. Bridge paasc6, 10.90.0.0/24.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { ControllerClient } from '../../controller';
import { parseCidr } from '../../engine';
import { removeBridge } from '../../engine/bridge';
import { subjects, type JobInfo } from '../../shared';
import { eventually, loginAsAdmin, newSettings, newUser, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const APP = 'crashy';
const BRIDGE = 'paasc6';
const CIDR = '10.90.0.1/24';
/** A restart "at once" still waits for a pass and a container start on a busy 2-core host. */
const AT_ONCE_MS = 4_000;

interface Crash {
  at: number;
  job: JobInfo;
}

let settings: PaasSettings;
let paas: RunningPaas;
let user: Cli;
let repo: string;
let api: ControllerClient;
let nc: NatsConnection;
const crashes: Crash[] = [];

before(async () => {
  if (!isRoot) return;
  settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_BOOT_TIMEOUT_MS: '10000' });
  paas = await startPaas(settings);
  user = newUser();
  api = loginAsAdmin(user, paas);
  repo = sampleRepo(user, 'shell-hello');
  fs.appendFileSync(path.join(repo, 'Procfile'), 'worker: echo "about to crash"; exit 3\n');
  assert.equal(user.git(['commit', '-q', '-am', 'a worker that crashes'], repo).status, 0);
  assert.equal(user.paas(['apps:create', APP], repo).status, 0);
  const push = user.git(['push', 'paas', 'main'], repo);
  assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));

  nc = await connect({ servers: `nats://127.0.0.1:${settings.natsPort}` });
  const codec = JSONCodec<JobInfo>();
  const sub = nc.subscribe(subjects.jobChanged.name);
  void (async () => {
    for await (const m of sub) {
      const job = codec.decode(m.data);
      if (job.app === APP && job.processType === 'worker' && job.state === 'crashed') crashes.push({ at: Date.now(), job });
    }
  })();
});

after(async () => {
  if (!isRoot) return;
  await nc?.close().catch(() => undefined);
  if (user && paas) {
    user.paas(['apps:destroy', APP, '--confirm', APP]);
    await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
  }
  await paas?.stop();
  await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
  for (const dir of [settings?.dataDir, user?.home, repo]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Restart delays of one release's runs: from a crash's announcement to the next run's start. */
function restartDelays(release: number): number[] {
  const runs = crashes.filter((c) => c.job.release === release);
  const delays: number[] = [];
  for (let i = 1; i < runs.length; i++) {
    const started = Date.parse(runs[i]!.job.startedAt ?? '');
    assert.ok(Number.isFinite(started), `run ${i + 1} reports when it started`);
    delays.push(started - runs[i - 1]!.at);
  }
  return delays;
}

test('T15: a crash-looping worker restarts 5 times at once, then every 10 s; a new release starts from zero', { skip: !isRoot && 'needs root: runs real containers', timeout: 240_000 }, async () => {
  const v1 = (await api.app(APP)).release_version;
  await api.scale(APP, [{ type: 'worker', quantity: 1 }]);
  // Crashes 1–5 restart at once, 6 and 7 after 10 s each: 8 runs in about 30 s.
  await eventually('8 crashes of the worker', async () => (crashes.filter((c) => c.job.release === v1).length >= 8 ? true : undefined), 120_000);
  const delays = restartDelays(v1).slice(0, 7);
  console.log(`T15 restart delays (ms): ${delays.map((d) => d.toFixed(0)).join(', ')}`);
  for (const [i, d] of delays.slice(0, 5).entries()) assert.ok(d < AT_ONCE_MS, `restart ${i + 1} at once (${d} ms)`);
  for (const [i, d] of delays.slice(5).entries()) assert.ok(d >= 8_000 && d <= 12_000 + 1_500, `restart ${i + 6} after 10 s ±20 % (${d} ms)`);
  for (const c of crashes) assert.equal(c.job.exitCode, 3, 'each crash reports the exit status');
  // `paas metrics` counts them as restarts, per minute.
  const restarts = await eventually('the crashes in paas metrics', async () => {
    const n = (await api.metrics(APP, 10)).points.reduce((sum, p) => sum + p.restarts, 0);
    return n >= 8 ? n : undefined;
  }, 30_000);
  assert.ok(restarts >= 8, `${restarts} restarts counted`);
  assert.ok(
    (await api.dynos(APP)).filter((d) => d.type === 'worker').length <= 1,
    'one worker at a time: crashed runs are replaced, not accumulated',
  );

  // A new release resets the policy: its worker's first restarts are immediate again.
  await api.setConfig(APP, { MARK: '2' });
  const v2 = (await api.app(APP)).release_version;
  assert.ok(v2 > v1, 'config:set made a release');
  await eventually('2 crashes of the new release', async () => (crashes.filter((c) => c.job.release === v2).length >= 2 ? true : undefined), 60_000);
  const [first] = restartDelays(v2);
  assert.ok(first !== undefined && first < AT_ONCE_MS, `the new release's first restart is at once (${first} ms)`);
});
