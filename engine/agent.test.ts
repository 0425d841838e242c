/**
 * The agent against a real NATS (a private nats-server on a free loopback port, never
 * the machine's own) and a real engine: jobs.start → 'up' over HTTP → jobs.stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { createLogger, request, subjects, silentLogger, type JobInfo, type JobSpec, type HostHeartbeat } from '../shared';
import type { EngineApi } from './types';
import { startAgent, type AgentHandle } from './agent';
import { httpGet, skipReason, testEngine } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor, sleep } from './launcher';

const skip = skipReason();
// Set PAAS_TEST_LOG=1 to see the agent's logs.
const testLog = process.env.PAAS_TEST_LOG ? createLogger('agent-test', { level: 'debug' }) : silentLogger;
const codec = JSONCodec<unknown>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function startNats(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      const nc = await connect({ servers: url, timeout: 500 });
      await nc.close();
      return { url, proc };
    } catch {
      await sleep(100);
    }
  }
  proc.kill();
  throw new Error('nats-server did not start');
}

test('agent over NATS', { skip, timeout: 600_000 }, async (t) => {
  const setup = await testEngine('paast1', '10.231.0.1/16');
  let nats: { url: string; proc: ChildProcess } | undefined;
  let nc: NatsConnection | undefined;
  let agent: AgentHandle | undefined;
  try {
    const engine: EngineApi = await setup.open();
    await engine.ensureStack();
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const hostId = `h${process.pid}`;
    const changes: JobInfo[] = [];
    const heartbeats: HostHeartbeat[] = [];
    const watch = (subject: string, sink: unknown[]): void => {
      const sub = nc!.subscribe(subject);
      void (async () => {
        for await (const m of sub) sink.push(codec.decode(m.data));
      })();
    };
    watch(subjects.jobChanged.name, changes);
    watch(subjects.hostHeartbeat.name, heartbeats);
    const logLines: { app: string; processType: string; stream: string; line: string }[] = [];
    watch(subjects.appLog.name('demo'), logLines);
    await nc.flush();
    agent = startAgent({ engine, nc, hostId, address: '127.0.0.1', log: testLog, heartbeatMs: 300, bootTimeoutMs: 8000, stopGraceMs: 500 });
    await agent.ready;

    const jobId = `web-${process.pid}`;
    const web: JobSpec = {
      id: jobId,
      app: 'demo',
      release: 3,
      processType: 'web',
      image: STACK_REF,
      cmd: ['node', '-e', "console.log('listening on '+process.env.PORT); require('http').createServer((q,s)=>s.end('port '+process.env.PORT)).listen(process.env.PORT)"],
      env: { NODE_ENV: 'production' },
      memoryBytes: 256 * 1024 * 1024,
      port: 5000,
    };
    // The stack has no node: give the job a derived image with node in it.
    await t.test('prepares an image with node', async () => {
      const { mkdtemp, mkdir, copyFile, rm } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = await mkdtemp(join(tmpdir(), 'paas-node-layer-'));
      await mkdir(join(dir, 'usr/local/bin'), { recursive: true });
      await copyFile(process.execPath, join(dir, 'usr/local/bin/node'));
      await engine.commit(STACK_REF, dir, {}, 'test/node:1');
      await rm(dir, { recursive: true, force: true });
      web.image = 'test/node:1';
    });

    await t.test('jobs.start replies starting, then jobChanged up; the app answers', async () => {
      const info = await request<JobInfo>(nc!, subjects.jobStart.name(hostId), web);
      assert.equal(info.state, 'starting');
      assert.equal(info.id, jobId);
      assert.match(info.ip!, /^10\.231\./);
      const up = await pollFor(async () => changes.find((c) => c.id === jobId && c.state === 'up'), 25_000);
      if (!up) {
        const { readFile } = await import('node:fs/promises');
        const log = await readFile(engine.logPath(jobId), 'utf8').catch((e: Error) => e.message);
        assert.fail(`no jobChanged up; container output: ${log}; changes: ${JSON.stringify(changes)}`);
      }
      assert.equal(up.app, 'demo');
      assert.equal(up.release, 3);
      assert.equal(await httpGet(`http://${info.ip}:5000/`), 'port 5000');
      // Idempotent: the same start again starts nothing and reports it up.
      const again = await request<JobInfo>(nc!, subjects.jobStart.name(hostId), web);
      assert.equal(again.state, 'up');
      const list = await request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {});
      assert.deepEqual(list.map((j) => [j.id, j.state]), [[jobId, 'up']]);
      const hb = await pollFor(async () => heartbeats.find((h) => h.jobs.some((j) => j.id === jobId && j.state === 'up')), 3000);
      assert.ok(hb, 'heartbeat lists the job');
      assert.equal(hb.runtime, engine.runtime);
      assert.ok(hb.memoryBytes > 0 && hb.cpus > 0);
    });

    await t.test("the app's output reaches NATS on its app's log subject", async () => {
      const line = await pollFor(async () => logLines.find((l) => l.line === 'listening on 5000'), 10_000);
      assert.ok(line, `no log line; got ${JSON.stringify(logLines)}`);
      assert.deepEqual([line.app, line.processType, line.stream], ['demo', 'web', 'stdout']);
    });

    await t.test('a restarted agent re-checks readiness of running jobs', async () => {
      await agent!.stop();
      agent = startAgent({ engine, nc: nc!, hostId, address: '127.0.0.1', log: testLog, heartbeatMs: 300, bootTimeoutMs: 8000, stopGraceMs: 500 });
      await agent.ready;
      const state = await pollFor(async () => {
        const list = await request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {});
        return list[0]?.state === 'up' ? 'up' : undefined;
      }, 5000);
      assert.equal(state, 'up');
    });

    await t.test('a restarted agent with its state file reports an up job up at once, and its last heartbeat says restarting', async () => {
      const { mkdtemp, rm } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const dir = await mkdtemp(join(tmpdir(), 'paas-agent-states-'));
      try {
        const stateFile = join(dir, 'agent-jobs.json');
        const options = { engine, nc: nc!, hostId, address: '127.0.0.1', log: testLog, heartbeatMs: 300, bootTimeoutMs: 8000, stopGraceMs: 500, stateFile };
        await agent!.stop();
        agent = startAgent(options);
        await agent.ready;
        assert.ok(await pollFor(async () => ((await request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {}))[0]?.state === 'up' ? true : undefined), 5000));
        const upLines = (): number => logLines.filter((l) => /State changed from starting to up/.test(l.line)).length;
        const linesBefore = upLines();
        const changesBefore = changes.length;
        await agent.stop();
        const last = await pollFor(async () => heartbeats.find((h) => h.hostId === hostId && h.restarting), 3000);
        assert.ok(last, 'the stopping agent says it restarts');
        agent = startAgent(options);
        // Before its readiness re-check could have run: the saved state answers.
        const first = await request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {});
        assert.deepEqual(first.map((j) => [j.id, j.state]), [[jobId, 'up']]);
        await agent.ready;
        await sleep(500);
        assert.equal(upLines(), linesBefore, 'no second "starting to up" line');
        assert.equal(changes.slice(changesBefore).filter((c) => c.id === jobId && c.state !== 'up').length, 0, 'never reported otherwise');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    await t.test('jobs.stop stops, removes and publishes down', async () => {
      const down = await request<JobInfo>(nc!, subjects.jobStop.name(hostId), { id: jobId });
      assert.equal(down.state, 'down');
      assert.ok(await pollFor(async () => changes.find((c) => c.id === jobId && c.state === 'down'), 3000));
      assert.equal(changes.filter((c) => c.id === jobId && c.state === 'crashed').length, 0);
      assert.deepEqual(await request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {}), []);
      await assert.rejects(request(nc!, subjects.jobStop.name(hostId), { id: jobId }), { code: 'job_not_found' });
    });

    await t.test('a crashing worker is reported crashed with its exit code', async () => {
      const id = `worker-${process.pid}`;
      await request<JobInfo>(nc!, subjects.jobStart.name(hostId), { ...web, id, processType: 'worker', port: undefined, cmd: ['bash', '-c', 'sleep 0.2; exit 3'] });
      const crashed = await pollFor(async () => changes.find((c) => c.id === id && c.state === 'crashed'), 5000);
      assert.equal(crashed?.exitCode, 3);
      assert.equal(crashed?.oomKilled, false);
      await request(nc!, subjects.jobStop.name(hostId), { id });
    });

    await t.test('a web job that never binds its port crashes after the boot timeout', async () => {
      const id = `lazy-${process.pid}`;
      await request<JobInfo>(nc!, subjects.jobStart.name(hostId), { ...web, id, cmd: ['sleep', '60'] });
      const crashed = await pollFor(async () => changes.find((c) => c.id === id && c.state === 'crashed'), 15_000);
      assert.ok(crashed, 'crashed after boot timeout');
      await request(nc!, subjects.jobStop.name(hostId), { id });
    });
  } finally {
    await agent?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    nats?.proc.kill();
    await setup.cleanup();
  }
});
