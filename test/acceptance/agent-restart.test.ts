/**
 * The engine agent on a loaded host restarted and upgraded while its containers serve
 * (issue #10, RELIABILITY.md T18, after Flynn's TestUpdate). The control plane (`paas
 * up`, no jobs of its own) and one `paas host` process on this machine, each with its
 * own bridge; an app at web=2 on the host under steady traffic through the router:
 * - a second agent on the host's data dir is refused, naming the pid that holds it;
 * - the agent is stopped (SIGTERM) and started again, at once and after 15 s (longer
 *   than the 10 s after which a silent host is dead): no request fails, the same two
 *   containers are re-adopted, `paas ps` shows both up at every poll, no duplicate;
 * - an upgrade whose new binary fails its self-check (settings it cannot load, a data
 *   dir newer than it reads) is refused, and the old agent serves and heartbeats on;
 * - a good upgrade (`paas host --upgrade`) hands over with no failed request.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import type { ControllerClient } from '../../controller/client';
import { request as natsRequest, subjects, type JobInfo } from '../../shared';
import { fails } from '../helpers/cli-results';
import { removeRootBridge } from '../helpers/netns-hosts';
import { ROOT, eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';
import { steadyTraffic, stopAllTraffic, type Sample } from '../helpers/steady-traffic';

const isRoot = process.getuid?.() === 0;
const BIN = path.join(ROOT, 'bin', 'paas');
const APP = 'steady';
const HOST_ID = 'upg-host';
// This test's own addresses, 10.102.0.0/16, halved: the control plane's bridge and the host's.
const CONTROL = { bridge: 'paasu0', cidr: '10.102.0.1/17', subnet: '10.102.0.0/17' };
const HOST = { bridge: 'paasu1', cidr: '10.102.128.1/17', subnet: '10.102.128.0/17' };

interface HostProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

describe('the host agent restarted and upgraded under load (T18)', { skip: !isRoot && 'needs root: containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let api: ControllerClient;
  let nc: NatsConnection;
  let repo: string | undefined;
  let hostEnv: Record<string, string>;
  let agent: HostProcess;
  const hostDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-upg-host-'));
  const routerHost = `${APP}.paas.localhost`;
  const spawned = new Set<ChildProcess>();
  /** The job id of every "State changed from starting to up" line the host sent. */
  const upLines: string[] = [];

  /** `paas host` with the host's settings (and `env` over them); resolves once it is up (or with its exit when `expectUp` is false). */
  const runHost = (args: string[] = [], env: Record<string, string> = {}): HostProcess => {
    const child = spawn(process.execPath, [BIN, 'host', ...args], { env: { ...process.env, ...hostEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.add(child);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (spawned.delete(child), resolve(code))));
    return { child, output: () => out, exited };
  };
  const untilUp = async (h: HostProcess): Promise<HostProcess> => {
    await eventually(`paas host to be up:\n${h.output()}`, async () => (h.output().includes(`paas host ${HOST_ID} is up`) ? true : h.child.exitCode !== null ? Promise.reject(new Error(h.output())) : undefined), 120_000);
    return h;
  };
  /** What the host's agent runs (not the controller's view): every job container of the app. */
  const hostJobs = async (): Promise<JobInfo[]> => (await natsRequest<JobInfo[]>(nc, subjects.jobList.name(HOST_ID), {}, 5_000)).filter((j) => j.app === APP);
  const upIds = async (): Promise<string[]> => (await hostJobs()).filter((j) => j.state === 'up').map((j) => j.id).sort();

  /** Polls `paas ps` (the controller's view, what the router routes to) until stopped: every poll where web is not exactly 2 dynos up. */
  const watchPs = (): { stop(): Promise<{ polls: number; bad: string[] }> } => {
    let stopped = false;
    let polls = 0;
    const bad: string[] = [];
    const loop = (async () => {
      while (!stopped) {
        const web = (await api.dynos(APP)).filter((d) => d.type === 'web');
        polls++;
        if (web.length !== 2 || web.some((d) => d.state !== 'up')) bad.push(JSON.stringify(web.map((d) => [d.name, d.state])));
        await sleep(200);
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        return { polls, bad };
      },
    };
  };
  const report = (what: string, samples: Sample[]): Sample[] => {
    const failed = samples.filter((s) => !s.ok);
    console.log(`T18 ${what}: ${samples.length} requests, ${failed.length} failed ${JSON.stringify(failed.slice(0, 10).map((f) => f.detail))}`);
    return failed;
  };
  const heartbeatSeen = async (): Promise<boolean> => {
    const sub = nc.subscribe(subjects.hostHeartbeat.name, { max: 50 });
    const timer = setTimeout(() => sub.unsubscribe(), 10_000);
    try {
      for await (const m of sub) if (subjects.hostHeartbeat.schema.parse(m.json()).hostId === HOST_ID) return true;
      return false;
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
  };

  before(async () => {
    settings = await newSettings({ PAAS_HOST_JOBS: '0', PAAS_BRIDGE_NAME: CONTROL.bridge, PAAS_BRIDGE_CIDR: CONTROL.cidr });
    settings.extraEnv.PAAS_REGISTRY_URL = `http://127.0.0.1:${settings.registryPort}`;
    paas = await startPaas(settings);
    const token = fs.readFileSync(path.join(settings.dataDir, 'secrets', 'registry-token'), 'utf8').trim();
    hostEnv = {
      PAAS_CONFIG_FILE: '',
      NATS_URL: `nats://127.0.0.1:${settings.natsPort}`,
      PAAS_DATA_DIR: hostDir,
      PAAS_HOST_ID: HOST_ID,
      PAAS_BRIDGE_NAME: HOST.bridge,
      PAAS_BRIDGE_CIDR: HOST.cidr,
      PAAS_REGISTRY_TOKEN: token,
      PAAS_STOP_GRACE_MS: '3000',
    };
    agent = await untilUp(runHost());
    nc = await connect({ servers: hostEnv.NATS_URL, name: 'agent-restart-test' });
    const logSub = nc.subscribe(subjects.appLog.name(APP));
    void (async () => {
      for await (const m of logSub) {
        const l = subjects.appLog.schema.parse(m.json());
        if (l.source === 'paas' && /State changed from starting to up/.test(l.line)) upLines.push(l.jobId);
      }
    })();
    user = newUser();
    api = loginAsAdmin(user, paas);
  });

  after(async () => {
    await stopAllTraffic();
    if (user && paas) {
      user.paas(['apps:destroy', APP, '--confirm', APP]);
      // The host's agent stops the containers; then nothing of the app outlives the test.
      await eventually('the app containers to be gone', async () => ((await hostJobs()).length === 0 ? true : undefined), 60_000).catch((err) => console.log(String(err)));
    }
    await nc?.close().catch(() => undefined);
    for (const child of spawned) child.kill('SIGTERM');
    await Promise.all([...spawned].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    const code = await paas?.stop();
    for (const mount of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
      const target = mount.split(' ')[1];
      if (target?.startsWith(hostDir + '/')) spawn('umount', ['-l', target]);
    }
    removeRootBridge(HOST.bridge, HOST.subnet);
    removeRootBridge(CONTROL.bridge, CONTROL.subnet);
    for (const dir of [settings?.dataDir, user?.home, repo, hostDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (paas) assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
  });

  test('an app at web=2 runs on the host', async () => {
    repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', APP], repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, `${push.stdout}\n${push.stderr}\n${paas.output().slice(-3000)}`);
    await api.scale(APP, [{ type: 'web', quantity: 2 }]);
    await eventually('2 web dynos up on the host', async () => ((await upIds()).length === 2 && (await api.dynos(APP)).filter((d) => d.state === 'up').length === 2 ? true : undefined), 120_000);
    assert.equal((await request(settings.routerPort, routerHost)).status, 200);
  });

  test('a second agent on the same data dir is refused, naming the pid holding it', async () => {
    const second = runHost();
    const refused = { status: await second.exited, stderr: second.output() };
    fails(refused, new RegExp(`data dir ${hostDir}/engine is in use by paas process ${agent.child.pid}\\b`));
    fails(refused, /paas host --upgrade/);
    assert.equal(agent.child.exitCode, null, 'the running agent is untouched');
  });

  /** `change` (a new agent replacing the old) under traffic: no failed request, `paas ps` web=2 up at every poll, the same containers after, none added, no state line repeated. */
  const servedThrough = async (what: string, change: () => Promise<void>): Promise<void> => {
    const before = await upIds();
    const traffic = steadyTraffic({ port: settings.routerPort, host: routerHost, perSecond: 25, expect: 'Hello from shell-hello' });
    const ps = watchPs();
    await sleep(2_000);
    await change();
    // Several heartbeats and reconcile passes of the new agent.
    await sleep(12_000);
    const { polls, bad } = await ps.stop();
    const failed = report(what, await traffic.stop());
    assert.deepEqual(failed, [], 'no request failed');
    assert.deepEqual(bad, [], `paas ps showed web=2 up at every poll (${polls} polls)`);
    assert.deepEqual(await upIds(), before, 'the same two containers, adopted up by the new agent');
    assert.equal((await hostJobs()).length, 2, 'no duplicate or replacement');
    // Counted as the host sent them (the stored history is overrun by the router's lines).
    assert.deepEqual(before.map((id) => upLines.filter((l) => l === id).length), [1, 1], 'one "starting to up" per dyno, none repeated');
  };

  test('the agent restarted under traffic: no failed request, same containers, up throughout, no duplicate', async () => {
    await servedThrough('restart', async () => {
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.output());
      agent = await untilUp(runHost());
    });
  });

  test('an agent away longer than the 10 s after which a silent host is dead (a slow restart) is waited for: nothing replaced, no failed request', async () => {
    await servedThrough('slow restart', async () => {
      agent.child.kill('SIGTERM');
      assert.equal(await agent.exited, 0, agent.output());
      // Its containers serve on meanwhile; the scheduler was told it restarts.
      await sleep(15_000);
      agent = await untilUp(runHost());
    });
  });

  test('an upgrade whose new binary fails its self-check is refused; the old agent serves and heartbeats on', async () => {
    const traffic = steadyTraffic({ port: settings.routerPort, host: routerHost, perSecond: 25, expect: 'Hello from shell-hello' });
    const ids = await upIds();
    // Settings the new binary cannot load.
    const badConfig = runHost(['--upgrade'], { PAAS_BRIDGE_CIDR: 'not-a-cidr' });
    fails({ status: await badConfig.exited, stderr: badConfig.output() }, /Upgrade refused: [\s\S]*PAAS_BRIDGE_CIDR[\s\S]*The running agent was not stopped/);
    // A data dir newer than the new binary reads (as a rollback to an older release would find).
    const format = path.join(hostDir, 'engine', 'format');
    const written = fs.readFileSync(format, 'utf8');
    fs.writeFileSync(format, '99\n');
    let tooOld: { status: number | null; stderr: string };
    try {
      const run = runHost(['--upgrade']);
      tooOld = { status: await run.exited, stderr: run.output() };
    } finally {
      fs.writeFileSync(format, written);
    }
    fails(tooOld, /Upgrade refused: this paas failed its self-check/);
    fails(tooOld, /format 99, newer than this paas reads/);
    fails(tooOld, new RegExp(`The running agent \\(pid ${agent.child.pid}\\) was not stopped`));
    assert.equal(agent.child.exitCode, null, 'the old agent runs on');
    assert.ok(await heartbeatSeen(), 'the old agent still heartbeats');
    assert.deepEqual(await upIds(), ids, 'and still runs its jobs');
    const failed = report('refused upgrades', await traffic.stop());
    assert.deepEqual(failed, []);
  });

  test('a good upgrade hands over under traffic: no failed request, same containers, up throughout', async () => {
    await servedThrough('upgrade', async () => {
      const old = agent;
      agent = await untilUp(runHost(['--upgrade']));
      assert.match(agent.output(), new RegExp(`Handing over from the running agent \\(pid ${old.child.pid}\\)`));
      assert.equal(await old.exited, 0, old.output());
    });
    assert.match(fs.readFileSync(path.join(hostDir, 'engine', 'agent.lock', 'pid'), 'utf8'), new RegExp(`^${agent.child.pid}\\b`), 'the new agent holds the data dir');
  });
});
