/**
 * Builds that do not finish (T11, and Ctrl-C): `paas up` killed with SIGKILL in the
 * middle of a build makes `git push` fail at once; the next start marks the build failed
 * with a line in its log, removes its workspace and containers, and frees the app's
 * lock, the branch did not move, and a re-push builds. A `git push` cancelled with
 * Ctrl-C cancels its build within 10 s (Flynn's semantics), and the next push builds.
 * Cancelling belongs to the push: a second push, refused or Ctrl-C'd while the first
 * builds, leaves the first build running to its release.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient, type BuildInfo } from '../../controller';
import { eventually, loginAsAdmin, newSettings, newUser, sampleRepo, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;

/** The pid of the process listening on a TCP port (`paas up` serves the API itself). */
function listenerPid(port: number): number {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }).stdout;
  const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
  assert.ok(pid > 0, `no process listens on ${port}: ${out}`);
  return pid;
}

interface Push {
  child: ChildProcess;
  log: () => string;
  done: Promise<{ code: number | null; at: number }>;
}

function startPush(user: Cli, repo: string, extraArgs: string[] = [], remote = 'paas'): Push {
  // Its own process group, so Ctrl-C (SIGINT to the group) reaches git and its helpers.
  const child = spawn('git', ['push', ...extraArgs, remote, 'main'], { cwd: repo, env: { ...process.env, HOME: user.home, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const done = new Promise<{ code: number | null; at: number }>((resolve) => child.on('close', (code) => resolve({ code, at: Date.now() })));
  return { child, log: () => log, done };
}

/**
 * A loopback proxy to the git port that forwards everything until a request starting with
 * `requestLine` has sent some of its body, then holds the rest: that request stays in flight
 * until its client goes away.
 */
async function stallingProxy(target: number, requestLine: string): Promise<{ port: number; stalled: Promise<void>; close(): void }> {
  let onStall: () => void = () => undefined;
  const stalled = new Promise<void>((resolve) => (onStall = resolve));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => (s === client ? upstream : client).destroy());
    }
    let head = '';
    let budget = -1;
    client.on('data', (chunk: Buffer) => {
      if (budget < 0) {
        const text = head + chunk.toString('latin1');
        if (text.includes(requestLine)) budget = 256 * 1024;
        else head = text.slice(-requestLine.length); // a request line split across chunks is still seen
      }
      if (budget === 0) return;
      if (budget > 0) {
        budget = Math.max(0, budget - chunk.length);
        if (budget === 0) onStall();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stalled,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe('builds that do not finish: builder killed (T11), push cancelled (Ctrl-C)', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let client: () => ControllerClient;
  let repo: string;

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasc1', PAAS_BRIDGE_CIDR: '10.83.0.1/24' });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
    const token = /password (\S+)/.exec(fs.readFileSync(path.join(user.home, '.netrc'), 'utf8'))?.[1] ?? '';
    client = () => new ControllerClient(paas.api, token);
    repo = sampleRepo(user, 'node-hello');
    assert.equal(user.paas(['apps:create', 'slow'], repo).status, 0);
  });

  after(async () => {
    if (user && paas) {
      for (const app of ['slow', 'twice']) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    assert.equal(await paas?.stop(), 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const pendingBuild = (): Promise<BuildInfo> =>
    eventually('a build to be running', async () => (await client().builds('slow')).find((b) => b.status === 'pending'), 120_000);

  test('SIGKILL of paas up mid-build: git push fails within 30 s; after a restart the build is failed, the ref did not move, a re-push builds', async () => {
    const push = startPush(user, repo);
    const build = await pendingBuild();
    // Let the build get into its containers (the buildpack is compiling).
    await eventually('the buildpack to compile', async () => (push.log().includes('app detected') ? true : undefined), 120_000);
    const killedAt = Date.now();
    process.kill(listenerPid(settings.apiPort), 'SIGKILL');
    const { code, at } = await push.done;
    assert.notEqual(code, 0, push.log());
    assert.ok(at - killedAt < 30_000, `git push ended ${at - killedAt} ms after the kill`);

    paas = await startPaas(settings);
    const after = await client().build('slow', build.id);
    assert.equal(after.status, 'failed');
    const output = await client().buildOutput('slow', build.id);
    assert.match(output, /app detected/, 'the log up to the kill is not required, but the line is');
    assert.match(output, / ! {5}The builder stopped during this build \(paas was restarted or crashed\), so it failed\. Push again to build\./);
    assert.equal(user.git(['ls-remote', 'paas', 'refs/heads/main'], repo).stdout.trim(), '', 'the branch did not move');
    assert.deepEqual(fs.readdirSync(path.join(settings.dataDir, 'builder', 'builds')), [], 'the workspace was removed');
    // The engine tears containers down in the background: give it a moment.
    const leftovers = () => fs.readdirSync(path.join(settings.dataDir, 'engine', 'containers')).filter((id) => id.startsWith('build-'));
    await eventually('the build containers to be removed', async () => (leftovers().length === 0 ? true : undefined), 30_000).catch(() => assert.deepEqual(leftovers(), [], 'the build containers were removed'));

    const again = user.git(['push', 'paas', 'main'], repo);
    assert.equal(again.status, 0, again.stderr + paas.output().slice(-3000));
    assert.match(again.stderr, /Released v1/);
  });

  test('Ctrl-C of git push cancels its build within 10 s and frees the app for the next push', async () => {
    // A dependency change makes the rebuild run npm install, long enough to interrupt.
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    pkg.dependencies = { ...pkg.dependencies, 'left-pad': '1.3.0' };
    fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify(pkg, null, 2));
    fs.rmSync(path.join(repo, 'package-lock.json'), { force: true });
    user.git(['add', '-A'], repo);
    assert.equal(user.git(['commit', '-q', '-m', 'add a dependency'], repo).status, 0);
    const before = user.git(['ls-remote', 'paas', 'refs/heads/main'], repo).stdout.split('\t')[0];

    const push = startPush(user, repo);
    const build = await pendingBuild();
    await eventually('the buildpack to compile', async () => (push.log().includes('app detected') ? true : undefined), 120_000);
    const pid = push.child.pid ?? 0;
    const cancelledAt = Date.now();
    process.kill(-pid, 'SIGINT');
    await push.done;
    const failed = await eventually('the build to be cancelled', async () => {
      const b = await client().build('slow', build.id);
      return b.status === 'failed' ? b : undefined;
    }, 10_000);
    assert.ok(Date.now() - cancelledAt <= 10_000, `cancelled after ${Date.now() - cancelledAt} ms`);
    assert.equal(failed.status, 'failed');
    assert.match(await client().buildOutput('slow', build.id), /The push was cancelled \(the git client went away\), so the build stopped/);
    assert.equal(user.git(['ls-remote', 'paas', 'refs/heads/main'], repo).stdout.split('\t')[0], before, 'the branch did not move');

    const again = user.git(['push', 'paas', 'main'], repo);
    assert.equal(again.status, 0, again.stderr + paas.output().slice(-3000));
    assert.match(again.stderr, /Released v2/);
  });

  test('a second push, refused or Ctrl-C\'d while the first builds, does not cancel the first build', async () => {
    const first = sampleRepo(user, 'node-hello');
    assert.equal(user.paas(['apps:create', 'twice'], first).status, 0);
    const remote = new URL(user.git(['remote', 'get-url', 'paas'], first).stdout.trim());
    // The second push goes through a proxy that holds its upload once the POST has begun, so it
    // is surely in flight (receive-pack started, the gate watching its connection) at Ctrl-C.
    const proxy = await stallingProxy(Number(remote.port), `POST ${remote.pathname}/git-receive-pack`);
    const second = sampleRepo(user, 'node-hello');
    fs.writeFileSync(path.join(second, 'blob.bin'), crypto.randomBytes(4 * 1024 * 1024));
    user.git(['add', '-A'], second);
    assert.equal(user.git(['commit', '-q', '-m', 'big'], second).status, 0);
    user.git(['remote', 'add', 'paas', remote.href], second);
    user.git(['remote', 'add', 'slow', Object.assign(new URL(remote.href), { port: String(proxy.port) }).href], second);

    try {
      const a = startPush(user, first);
      const build = await eventually('the first build to be running', async () => (await client().builds('twice')).find((b) => b.status === 'pending'), 120_000);
      await eventually('the first buildpack to compile', async () => (a.log().includes('app detected') ? true : undefined), 120_000);

      const refused = user.git(['push', 'paas', 'main'], second);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /remote: {2}! {5}A build of twice is already running\. Wait for it to finish, then push again\./);

      const b = startPush(user, second, [], 'slow');
      const ended = await Promise.race([proxy.stalled.then(() => false), b.done.then(() => true)]);
      assert.equal(ended, false, `the second push ended before its upload was held:\n${b.log()}`);
      await sleep(1500);
      process.kill(-(b.child.pid ?? 0), 'SIGINT');
      assert.notEqual((await b.done).code, 0);
      assert.doesNotMatch(b.log(), /already running/, 'the Ctrl-C came while the second push was uploading');

      const { code } = await a.done;
      assert.equal(code, 0, a.log() + paas.output().slice(-3000));
      assert.match(a.log(), /Released v1/);
      assert.equal((await client().build('twice', build.id)).status, 'succeeded');
    } finally {
      proxy.close();
      for (const dir of [first, second]) fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
