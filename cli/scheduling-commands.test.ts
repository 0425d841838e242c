/**
 * The CLI's process and host commands as a user and an operator run them, against a real
 * controller process and a real nats-server (host heartbeats): ps, ps:restart, ps:stop,
 * ps:type, scale, run --detach, releases with their deploy status, hosts, hosts:info,
 * hosts:drain, hosts:undrain, hosts:remove, and the errors each of them shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../controller';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { silentLogger, subjects } from '../shared';
import { startControllerProcess, type ControllerProcess } from '../test/helpers/controller-process';
import { eventually, newUser, sleep, type Cli } from '../test/helpers/paas';
import { fails, ok } from '../test/helpers/cli-results';
import { freePort } from '../test/helpers/ports';

/** Two hosts' heartbeats every second: node-1 with 3 jobs, node-2 with none. */
const BEATER = `
const { connect } = require('nats');
connect({ servers: process.env.NATS_URL }).then((nc) => {
  const beat = (hostId, jobs) => nc.publish('${subjects.hostHeartbeat.name}', JSON.stringify({
    hostId, address: '10.2.0.1', memoryBytes: 8 * 2 ** 30, cpus: 4, runtime: 'runc', at: new Date().toISOString(),
    jobs: Array.from({ length: jobs }, (_, i) => ({ id: 'j' + i, app: 'clips', release: 1, processType: 'web', hostId, state: 'up' })),
  }));
  setInterval(() => { beat('node-1', 3); beat('node-2', 0); }, 1000);
  beat('node-1', 3); beat('node-2', 0);
});
`;

describe('paas ps, run, releases and hosts commands against a controller', () => {
  let controller: ControllerProcess;
  let nats: EmbeddedNats;
  let dataDir: string;
  let url: string;
  let operator: ControllerClient;
  let dev: Cli;
  let op: Cli;
  let version: number;
  const a = ['-a', 'clips'];


  /**
   * The CLI runs synchronously and blocks this process's event loop, so the server may
   * close an idle keep-alive socket unnoticed; letting the loop turn drops it before reuse.
   */
  const api = async (): Promise<ControllerClient> => {
    await sleep(50);
    return operator;
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-ps-'));
    nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url });
    url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    operator = new ControllerClient(url, token);
    await operator.request('POST', '/users', { email: 'dev@example.com', password: 'correct horse battery' });
    dev = newUser();
    op = newUser();
  });
  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    await nats?.stop();
    for (const dir of [dataDir, dev?.home, op?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('before login every command says how to log in', () => {
    for (const args of [['ps', ...a], ['ps:restart', ...a], ['ps:stop', 'web.1', ...a], ['ps:type', ...a], ['run', '--detach', 'ls', ...a], ['hosts'], ['hosts:drain', 'h1']]) {
      fails(dev.paas(args), /paas login/);
    }
  });

  test('help lists the commands and explains one with an example', () => {
    const all = ok(dev.paas(['help'])).stdout;
    for (const topic of ['ps', 'run', 'hosts', 'scale', 'releases']) assert.match(all, new RegExp(`\\n  ${topic} `));
    assert.match(ok(dev.paas(['help', 'ps'])).stdout, /ps:restart[\s\S]*ps:stop[\s\S]*ps:type/);
    assert.match(ok(dev.paas(['help', 'ps:stop'])).stdout, /EXAMPLES\n {2}\$ paas ps:stop web\.2 -a hello/);
  });

  test('an app with a release: ps shows each dyno with its state, since when, release, host and size', async () => {
    ok(dev.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' }));
    ok(op.paas(['login', '--api', url, '--email', 'admin@paas.local'], undefined, { PAAS_PASSWORD: controller.info.adminPassword ?? '' }));
    ok(dev.paas(['apps:create', 'clips']));
    assert.match(ok(dev.paas(['ps', ...a])).stdout, /No dynos on clips\. Formation: none \(push code first\)/);
    const build = await (await api()).createBuild('clips', 'f'.repeat(40), 'dev@example.com');
    await (await api()).finishBuild('clips', build.id, { status: 'succeeded', image: 'paas/clips:1', process_types: { web: 'node s.js', worker: 'node w.js' } });
    version = (await (await api()).createRelease('clips', build.id)).version;
    await (await api()).reportJob('clips-web-1-aa', { app: 'clips', release: version, type: 'web', host: 'host-x', state: 'up', ip: '10.0.0.9', port: 5000, dyno: 'web.1' });
    await (await api()).reportJob('clips-worker-1-bb', { app: 'clips', release: version, type: 'worker', host: 'host-x', state: 'crashed', dyno: 'worker.1', reason: 'Process exited with status 1' });
    const ps = ok(dev.paas(['ps', ...a])).stdout;
    assert.match(ps, /=== web \(standard-1x\): 1\n/);
    assert.match(ps, /web\.1: up \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(~ \d+s ago\) {2}v1 on host-x/);
    assert.match(ps, /=== worker \(standard-1x\): 1 \(formation: 0\)/);
    assert.match(ps, /worker\.1: crashed .* {2}Process exited with status 1/);
    const json = JSON.parse(ok(dev.paas(['ps', '--json', ...a])).stdout) as { name: string; size: string }[];
    assert.deepEqual(json.map((d) => [d.name, d.size]), [['web.1', 'standard-1x'], ['worker.1', 'standard-1x']]);
    fails(dev.paas(['ps', '-a', 'nope']), /Couldn't find that app/);
  });

  test('ps:type shows sizes with memory and CPUs and changes them; invalid TYPE=SIZE is refused before any change', () => {
    const shown = ok(dev.paas(['ps:type', ...a])).stdout;
    assert.match(shown, /TYPE +SIZE +QTY +MEMORY +CPUS +DEDICATED/);
    assert.match(shown, /web +standard-1x +1 +512 MB +1 +no/);
    assert.match(shown, /performance-l \(14 GB, 8 cpu\)/);
    assert.match(ok(dev.paas(['ps:type', 'web=standard-2x', 'worker=Performance', ...a])).stdout, /web +standard-2x +1 +1 GB +2[\s\S]*worker +performance-m +0 +2\.5 GB +2 +yes/);
    fails(dev.paas(['ps:type', 'web=huge', ...a]), /Invalid argument web=huge\. Use TYPE=SIZE with SIZE one of eco, basic/);
    fails(dev.paas(['ps:type', 'web', ...a]), /Invalid argument web\./);
    fails(dev.paas(['ps:type', 'clock=eco', ...a]), /Couldn't find that process type \(clock\)/);
    const json = JSON.parse(ok(dev.paas(['ps:type', '--json', ...a])).stdout) as { type: string; size: string; memory_bytes: number }[];
    assert.deepEqual(json.map((r) => [r.type, r.size, r.memory_bytes]), [['web', 'standard-2x', 2 ** 30], ['worker', 'performance-m', 2560 * 2 ** 20]]);
  });

  test('scale is ps:scale, with web+2, web-1 and :SIZE; unknown sizes are refused', async () => {
    assert.match(ok(dev.paas(['scale', 'web+2', ...a])).stderr, /now running web at 3:standard-2x/);
    assert.match(ok(dev.paas(['ps:scale', 'web-1', 'worker=1:basic', ...a])).stderr, /web at 2:standard-2x, worker at 1:basic/);
    fails(dev.paas(['scale', 'web=1:giant', ...a]), /Unknown size giant in web=1:giant/);
    assert.deepEqual((await (await api()).formation('clips')).map((f) => [f.type, f.quantity, f.size]), [['web', 2, 'standard-2x'], ['worker', 1, 'basic']]);
  });

  test('scale --wait follows the processes until they are up, and ends with the reason when one crashes', async () => {
    // The CLI runs on its own while the test reports the scheduler's progress.
    const run = (args: string[]) => dev.paasAsync(args);
    const waiting = run(['ps:scale', 'web=2', '--wait', ...a]);
    await sleep(2_000);
    await (await api()).reportJob('clips-web-2-cc', { app: 'clips', release: version, type: 'web', host: 'host-x', state: 'starting', dyno: 'web.2' });
    await sleep(1_000);
    await (await api()).reportJob('clips-web-2-cc', { app: 'clips', release: version, type: 'web', host: 'host-x', state: 'up', ip: '10.0.0.10', port: 5000, dyno: 'web.2' });
    const done = await waiting;
    assert.equal(done.status, 0, done.stderr);
    // Without a terminal: a line per change of status (not one per poll), then the outcome on its own line.
    assert.match(done.stderr, /^Waiting for the processes\.\.\. web 1\/2 up\nWaiting for the processes\.\.\. done, web 2\/2 up\n/m);
    const crashed = await run(['ps:scale', 'worker=1', '--wait', ...a]);
    assert.notEqual(crashed.status, 0);
    assert.match(crashed.stderr.replace(/\s*\n\s*›\s*/g, ' '), /worker\.1 crashed: Process exited with status 1\. See `paas logs --ps worker\.1 -a clips`/);
  });

  test('ps:restart (all, a type, one dyno) and ps:stop, with their errors', () => {
    assert.match(ok(dev.paas(['ps:restart', ...a])).stderr, /Restarting all dynos on clips\.\.\. done/);
    assert.match(ok(dev.paas(['ps:restart', 'web', ...a])).stderr, /Restarting web dynos/);
    assert.match(ok(dev.paas(['ps:restart', 'web.1', ...a])).stderr, /Restarting dyno web\.1/);
    const missing = dev.paas(['ps:restart', 'web.9', ...a]);
    fails(missing, /Couldn't find dyno web\.9 of clips\. See `paas ps -a clips`/);
    // As Heroku: the line the refusal interrupted ends with '!', and the reason has its own line.
    assert.match(missing.stderr, /^Restarting dyno web\.9 on clips\.\.\. !\n ▸ {4}Couldn't find dyno/m);
    fails(dev.paas(['ps:restart', 'clock', ...a]), /No process type clock in clips; its types are: web, worker/);
    assert.match(ok(dev.paas(['ps:stop', 'web.1', ...a])).stderr, /Stopping web\.1 on clips\.\.\. done/);
    fails(dev.paas(['ps:stop', 'web', ...a]), /paas ps:scale web=0/);
    fails(dev.paas(['ps:stop', ...a]), /Missing 1 required arg/);
  });

  test('run --detach starts run.NNNN; --json without --detach, an unknown app, a bad size or a bad --env say what to do', async () => {
    const r = ok(dev.paas(['run', '--detach', '--size', 'standard-2x', '--env', 'STEP=1;MODE=a=b', 'node', 'migrate.js', ...a]));
    const name = /up, (run\.\d{4})/.exec(r.stderr)?.[1];
    assert.ok(name, r.stderr);
    assert.match(r.stdout, new RegExp(`paas logs -a clips --ps ${name.replace('.', '\\.')}`));
    const desired = (await (await api()).desiredState()).find((d) => d.app === 'clips');
    assert.deepEqual(desired?.oneOffs?.map((o) => [o.dyno, o.command, o.size, o.env]), [[name, 'node migrate.js', 'standard-2x', { STEP: '1', MODE: 'a=b' }]]);
    assert.match(ok(dev.paas(['ps', ...a])).stdout, new RegExp(`=== run: one-off processes\\n${name.replace('.', '\\.')} \\(standard-2x\\): requested .* waiting for a host`));
    const json = JSON.parse(ok(dev.paas(['run', '-d', '--json', 'true', ...a])).stdout) as { name: string; state: string };
    assert.equal(json.state, 'requested');
    fails(dev.paas(['run', '--json', 'bash', ...a]), /--json describes the dyno a detached run starts: use it with --detach/);
    fails(dev.paas(['run', 'bash', '-a', 'nope']), /Couldn't find that app/);
    fails(dev.paas(['run', '-d', '--size', 'huge', 'ls', ...a]), /Unknown size huge/);
    fails(dev.paas(['run', '-d', '--env', 'NOEQUALS', 'ls', ...a]), /Invalid --env entry "NOEQUALS"/);
    fails(dev.paas(['run', '-d', 'ls', '-a', 'nope']), /Couldn't find that app/);
  });

  test('releases show a deploying release, then a failed one with its reason', async () => {
    assert.match(ok(dev.paas(['releases', ...a])).stdout, /v1 +Deploy fffffff .*\(current\) {2}deploying/);
    const d = await (await api()).startDeploy('clips', { release: version, from: null });
    await (await api()).finishDeploy(d.id, { status: 'failed', reason: 'web.1 failed its health check /health (5 attempts)' });
    const list = ok(dev.paas(['releases', ...a])).stdout;
    assert.match(list, /v1 +Deploy fffffff +\S+ {2}failed: web\.1 failed its health check \/health \(5 attempts\)/);
    assert.doesNotMatch(list, /current/);
    assert.match(ok(dev.paas(['releases:info', 'v1', ...a])).stdout, /Status: +failed \(web\.1 failed its health check/);
    assert.equal((JSON.parse(ok(dev.paas(['releases', '--json', ...a])).stdout) as { status: string }[])[0].status, 'failed');
  });

  test('rollback --wait follows the deploy: done when it succeeds, the reason when it fails', async () => {
    const run = (args: string[]) => dev.paasAsync(args);
    /** Plays the scheduler: the newest release's deploy ends with `status`. */
    const deployNewest = async (status: 'succeeded' | 'failed', from: number | null, reason?: string): Promise<number> => {
      const newest = await eventually('the rollback release', async () => {
        const [r] = await (await api()).releases('clips');
        return r && r.version > version && r.status === 'pending' ? r.version : undefined;
      }, 10_000);
      const d = await (await api()).startDeploy('clips', { release: newest, from });
      await sleep(1_000);
      await (await api()).finishDeploy(d.id, { status, reason });
      return newest;
    };
    const first = run(['rollback', `v${version}`, '--wait', ...a]);
    const v = await deployNewest('succeeded', null);
    const ok1 = await first;
    assert.equal(ok1.status, 0, ok1.stderr);
    assert.match(ok1.stderr, new RegExp(`Deploying v${v}\\.\\.\\. done`));
    version = v;
    const second = run(['rollback', 'v1', '--wait', ...a]);
    const w = await deployNewest('failed', v, 'web.1 failed its health check /health (5 attempts)');
    const failed = await second;
    assert.notEqual(failed.status, 0);
    assert.match(failed.stderr.replace(/\s*\n\s*›\s*/g, ' '), new RegExp(`Deploy of v${w} failed: web\\.1 failed its health check /health \\(5 attempts\\)\\. v${v} keeps serving\\.`));
  });

  test('operators list, inspect, drain, undrain and remove hosts; others are refused', async (t) => {
    // Hosts that stop beating are down after 10 s, and the CLI's synchronous runs block this
    // process: the heartbeats come from a process of their own.
    const beater = spawn(process.execPath, ['-e', BEATER], { cwd: path.resolve(__dirname, '..', '..'), env: { ...process.env, NATS_URL: nats.url }, stdio: 'ignore' });
    t.after(() => beater.kill('SIGKILL'));
    await eventually('heartbeats', async () => ((await (await api()).hosts()).length === 2 ? true : undefined), 5000);
    fails(dev.paas(['hosts']), /operator \(admin\) account/);
    fails(dev.paas(['hosts:drain', 'node-1']), /operator \(admin\) account/);
    const list = ok(op.paas(['hosts'])).stdout;
    assert.match(list, /ID +STATE +ADDRESS +MEMORY +CPUS +JOBS +RUNTIME/);
    assert.match(list, /node-1 +up +10\.2\.0\.1 +8 GiB +4 +3 +runc/);
    assert.match(ok(op.paas(['hosts:info', 'node-1'])).stdout, /=== node-1\nState: +up[\s\S]*Jobs: +3/);
    fails(op.paas(['hosts:info', 'node-9']), /No host node-9 has reported in/);
    fails(op.paas(['hosts:remove', 'node-1']), /Host node-1 still runs 3 jobs\. Drain it first \(`paas hosts:drain node-1`\)/);
    assert.match(ok(op.paas(['hosts:drain', 'node-1'])).stdout, /node-1 takes no new jobs; its 3 jobs move to other hosts/);
    assert.match(ok(op.paas(['hosts'])).stdout, /node-1 +draining/);
    assert.equal((JSON.parse(ok(op.paas(['hosts', '--json'])).stdout) as { id: string; draining: boolean }[]).find((h) => h.id === 'node-1')?.draining, true);
    ok(op.paas(['hosts:undrain', 'node-1']));
    assert.match(ok(op.paas(['hosts'])).stdout, /node-1 +up/);
    ok(op.paas(['hosts:drain', 'node-1']));
    assert.match(ok(op.paas(['hosts:remove', 'node-1'])).stdout, /node-1 is out of the cluster/);
    ok(op.paas(['hosts:remove', 'node-2']));
    assert.equal(ok(op.paas(['hosts'])).stdout.trim(), 'No host has reported in yet.');
    fails(op.paas(['hosts:drain', 'node-9']), /No host node-9/);
  });
});
