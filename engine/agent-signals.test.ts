/**
 * The agent's job lifecycle against real containers and the machine's NATS
 * (127.0.0.1:4222, subjects made unique by host id and app name): T16 signals (SIGTERM
 * to every process, SIGKILL after the grace), readiness with health checks (T3/T4),
 * Heroku's state lines in the app's log stream, one-off jobs, OOM kills (T17), CPU
 * limits of a size, and what a crash loop leaves on the host. One file because the
 * brief gives it one bridge: `paasc5` 10.89.0.0/24.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { createLogger, request, subjects, silentLogger, type AppLogLine, type JobInfo, type JobSpec } from '../shared';
import type { EngineApi } from './types';
import { startAgent, type AgentHandle, type AgentOptions } from './agent';
import { skipReason, testEngine } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';
import { OOM_REASON } from './agent-state-lines';

const skip = skipReason();
// Set PAAS_TEST_LOG=1 to see the agent's logs.
const testLog = process.env.PAAS_TEST_LOG ? createLogger('agent-signals-test', { level: 'debug' }) : silentLogger;
const codec = JSONCodec<unknown>();
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The conmon processes still running for a container id. */
async function conmonsOf(id: string): Promise<number> {
  let n = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('conmon\0') || cmd.includes('/conmon\0')) if (cmd.split('\0').includes(id)) n++;
  }
  return n;
}

/** cfs quota of a running container (cgroup v1 cpu hierarchy, or v2 cpu.max's first field). */
async function cpuQuotaMicros(id: string): Promise<number | undefined> {
  for (const dir of ['cpu', 'cpu,cpuacct']) {
    const q = await readFile(`/sys/fs/cgroup/${dir}/paas/${id}/cpu.cfs_quota_us`, 'utf8').catch(() => undefined);
    if (q) return Number(q.trim());
  }
  const max = await readFile(`/sys/fs/cgroup/paas/${id}/cpu.max`, 'utf8').catch(() => undefined);
  return max ? Number(max.split(' ')[0]) : undefined;
}

test('agent job lifecycle: readiness, state lines, one-offs, OOM, signals', { skip, timeout: 600_000 }, async (t) => {
  const setup = await testEngine('paasc5', '10.89.0.1/24');
  let nc: NatsConnection | undefined;
  let agent: AgentHandle | undefined;
  try {
    const engine: EngineApi = await setup.open();
    await engine.ensureStack();
    nc = await connect({ servers: NATS_URL });
    const hostId = `h4-${process.pid}`;
    const app = `sig${process.pid}`;
    const changes: JobInfo[] = [];
    const logLines: AppLogLine[] = [];
    const watch = (subject: string, sink: unknown[]): void => {
      const sub = nc!.subscribe(subject);
      void (async () => {
        for await (const m of sub) sink.push(codec.decode(m.data));
      })();
    };
    watch(subjects.jobChanged.name, changes);
    watch(subjects.appLog.name(app), logLines);
    await nc.flush();
    const agentOptions: AgentOptions = { engine, nc, hostId, address: '127.0.0.1', log: testLog, heartbeatMs: 1000, bootTimeoutMs: 4000, healthCheckWaitMs: 200, oneOffLingerMs: 300 };
    agent = startAgent(agentOptions);
    await agent.ready;

    const start = (spec: JobSpec): Promise<JobInfo> => request<JobInfo>(nc!, subjects.jobStart.name(hostId), spec);
    const stop = (id: string, graceMs?: number): Promise<JobInfo> =>
      request<JobInfo>(nc!, subjects.jobStop.name(hostId), graceMs === undefined ? { id } : { id, graceMs }, 60_000);
    const list = (): Promise<JobInfo[]> => request<JobInfo[]>(nc!, subjects.jobList.name(hostId), {});
    const change = async (id: string, state: JobInfo['state'], timeoutMs = 15_000): Promise<JobInfo> => {
      const c = await pollFor(async () => changes.find((x) => x.id === id && x.state === state), timeoutMs);
      if (c) return c;
      const out = await readFile(engine.logPath(id), 'utf8').catch((e: Error) => e.message);
      return assert.fail(`${id} never ${state}; changes: ${JSON.stringify(changes.filter((x) => x.id === id))}; output: ${out}`);
    };
    const paasLines = (id: string): string[] => logLines.filter((l) => l.jobId === id && l.source === 'paas').map((l) => l.line);
    const appLines = (id: string): string[] => logLines.filter((l) => l.jobId === id && l.source === 'app').map((l) => l.line);
    const line = async (id: string, text: string | RegExp, timeoutMs = 10_000): Promise<AppLogLine> => {
      const found = await pollFor(async () => logLines.find((l) => l.jobId === id && (typeof text === 'string' ? l.line === text : text.test(l.line))), timeoutMs);
      return found ?? assert.fail(`no line ${String(text)} for ${id}; got ${JSON.stringify(logLines.filter((l) => l.jobId === id).map((l) => [l.source, l.line]))}`);
    };

    const base: JobSpec = { id: 'x', app, release: 1, processType: 'web', image: STACK_REF, env: {}, memoryBytes: 256 << 20 };
    const server = (healthStatus: number): string[] => [
      'node',
      '-e',
      `process.on('SIGTERM',()=>process.exit(0));require('http').createServer((q,s)=>{s.statusCode=q.url==='/health'?${healthStatus}:200;s.end('ok')}).listen(process.env.PORT,()=>console.log('listening'))`,
    ];
    const worker = (script: string): string[] => ['bash', '-c', script];
    const loop = 'while true; do sleep 0.2 & wait $!; done';

    await t.test('prepares an image with node', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'paas-node-layer-'));
      await mkdir(join(dir, 'usr/local/bin'), { recursive: true });
      await copyFile(process.execPath, join(dir, 'usr/local/bin/node'));
      await engine.commit(STACK_REF, dir, {}, 'test/node:1');
      await rm(dir, { recursive: true, force: true });
      base.image = 'test/node:1';
    });

    const webId = `web-${process.pid}`;
    await t.test('a web job with a passing health check is up, with its dyno, size and state lines', async () => {
      const info = await start({ ...base, id: webId, dyno: 'web.1', port: 5000, cpus: 0.5, cmd: server(200), healthCheck: { path: '/health' } });
      assert.equal(info.state, 'starting');
      const up = await change(webId, 'up');
      assert.deepEqual([up.dyno, up.memoryBytes, up.reason], ['web.1', 256 << 20, undefined]);
      await line(webId, 'State changed from starting to up');
      assert.match(paasLines(webId)[0]!, /^Starting process with command `node -e /);
      assert.equal(paasLines(webId)[1], 'State changed from starting to up');
      const listening = await line(webId, 'listening');
      assert.deepEqual([listening.source, listening.dyno, listening.stream], ['app', 'web.1', 'stdout']);
      assert.equal(await cpuQuotaMicros(webId), 50_000, 'cpus 0.5 is half of one CPU per 100 ms period');
    });

    await t.test('a restarted agent re-runs the check from the labels, without a second state line', async () => {
      await agent!.stop();
      agent = startAgent(agentOptions);
      await agent.ready;
      const state = await pollFor(async () => ((await list()).find((j) => j.id === webId)?.state === 'up' ? 'up' : undefined), 10_000);
      assert.equal(state, 'up');
      assert.equal(paasLines(webId).filter((l) => l === 'State changed from starting to up').length, 1);
    });

    await t.test('jobs.stop logs SIGTERM, the exit and up → down', async () => {
      const down = await stop(webId, 5000);
      assert.equal(down.state, 'down');
      await line(webId, 'State changed from up to down');
      const l = paasLines(webId);
      assert.deepEqual(l.slice(-3), ['Stopping all processes with SIGTERM', 'Process exited with status 0', 'State changed from up to down']);
    });

    await t.test('a failing health check crashes the job with a reason naming it (T4)', async () => {
      const id = `sick-${process.pid}`;
      await start({ ...base, id, dyno: 'web.2', port: 5000, cmd: server(503), healthCheck: { path: '/health', attempts: 3, timeoutMs: 1000 } });
      const crashed = await change(id, 'crashed');
      const reason = 'health check GET /health failed after 3 attempts (last: status 503)';
      assert.equal(crashed.reason, reason);
      assert.equal(changes.some((c) => c.id === id && c.state === 'up'), false, 'never up, so never routed');
      await line(id, 'State changed from starting to crashed');
      const reasonLine = logLines.find((l) => l.jobId === id && l.line === reason);
      assert.deepEqual([reasonLine?.source, reasonLine?.stream], ['paas', 'stderr']);
      assert.equal((await list()).find((j) => j.id === id)?.reason, reason);
      await stop(id);
    });

    await t.test('a web job that never binds $PORT crashes with R10', async () => {
      const id = `lazy-${process.pid}`;
      await start({ ...base, id, port: 5000, cmd: ['sleep', '60'] });
      const crashed = await change(id, 'crashed');
      assert.equal(crashed.reason, 'Error R10 (Boot timeout): web process failed to bind to $PORT within 4 seconds of launch');
      await line(id, 'State changed from starting to crashed');
      await stop(id);
    });

    await t.test('a one-off runs without readiness, ends down with its exit code, and is removed', async () => {
      const id = `run-${process.pid}`;
      const started = await start({ ...base, id, processType: 'run', dyno: 'run.1', oneOff: true, cmd: worker('echo hello from run; sleep 1.5; exit 7') });
      assert.equal(started.state, 'up');
      const listed = (await list()).find((j) => j.id === id);
      assert.deepEqual([listed?.state, listed?.oneOff, listed?.dyno], ['up', true, 'run.1']);
      const down = await change(id, 'down');
      assert.equal(down.exitCode, 7);
      assert.equal(changes.some((c) => c.id === id && c.state === 'crashed'), false);
      const hello = await line(id, 'hello from run');
      assert.deepEqual([hello.source, hello.dyno], ['app', 'run.1']);
      await line(id, 'State changed from up to complete');
      assert.ok(paasLines(id).includes('Process exited with status 7'));
      assert.ok(await pollFor(async () => ((await engine.inspect(id)) ? undefined : true), 5000), 'container removed');
      assert.equal((await list()).some((j) => j.id === id), false);
    });

    await t.test('an OOM kill is reported and logged as R15 (T17)', async () => {
      const id = `hog-${process.pid}`;
      await start({ ...base, id, processType: 'worker', dyno: 'worker.1', memoryBytes: 64 << 20, cmd: ['node', '-e', 'const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))'] });
      const crashed = await change(id, 'crashed');
      assert.deepEqual([crashed.oomKilled, crashed.exitCode, crashed.reason], [true, 137, OOM_REASON]);
      await line(id, /^State changed from (starting|up) to crashed$/);
      const l = paasLines(id);
      assert.ok(l.indexOf(OOM_REASON) >= 0 && l.indexOf(OOM_REASON) < l.indexOf('Process exited with status 137'), JSON.stringify(l));
      await stop(id);
    });

    await t.test('a crash loop keeps one exited container per dyno and no conmon', async () => {
      const ids = [1, 2, 3].map((n) => `loop${n}-${process.pid}`);
      for (const id of ids) {
        await start({ ...base, id, processType: 'worker', dyno: 'worker.9', cmd: worker('exit 1') });
        const crashed = await change(id, 'crashed');
        assert.deepEqual([crashed.exitCode, crashed.reason], [1, undefined], 'a plain crash: the exit code says it all');
      }
      const left = await pollFor(async () => {
        const mine = (await engine.list()).filter((c) => ids.includes(c.id)).map((c) => c.id);
        return mine.length === 1 ? mine : undefined;
      }, 5000);
      assert.deepEqual(left, [ids[2]]);
      for (const id of ids) assert.equal(await conmonsOf(id), 0, `conmon of ${id} gone`);
      const dirs = await pollFor(async () => {
        const d = (await readdir(join(setup.options.dataDir, 'containers'))).filter((x) => ids.includes(x));
        return d.length === 1 ? d : undefined;
      }, 5000);
      assert.deepEqual(dirs, [ids[2]], 'files (logs, upper dir) of the older runs are gone');
      await stop(ids[2]!);
    });

    // T16. Each app says when its traps are set, and what it receives.
    const traps = 'for s in TERM INT HUP QUIT USR1 USR2 ALRM; do trap "echo got $s; [ $s = TERM ] && exit 0" $s; done';

    await t.test('an app trapping SIGTERM receives exactly SIGTERM and exits 0', async () => {
      const id = `trap-${process.pid}`;
      await start({ ...base, id, processType: 'worker', cmd: worker(`${traps}; echo ready; ${loop}`) });
      await change(id, 'up');
      await line(id, 'ready');
      const t0 = Date.now();
      const down = await stop(id);
      assert.ok(Date.now() - t0 < 5000, 'exits at SIGTERM, long before the grace');
      assert.equal(down.exitCode, 0);
      await line(id, 'State changed from up to down');
      assert.deepEqual(appLines(id).filter((l) => l.startsWith('got ')), ['got TERM']);
    });

    await t.test('every process of a multi-process app gets SIGTERM', async () => {
      const id = `multi-${process.pid}`;
      const child = (n: number): string => `( trap "echo child ${n} TERM; exit 0" TERM; ${loop} ) &`;
      const script = `${child(1)} ${child(2)} ${child(3)} trap "echo parent TERM; wait; exit 0" TERM; echo ready; ${loop}`;
      await start({ ...base, id, processType: 'worker', cmd: worker(script) });
      await line(id, 'ready');
      await change(id, 'up');
      const t0 = Date.now();
      const down = await stop(id, 20_000);
      assert.ok(Date.now() - t0 < 5000, 'children exit at their SIGTERM: the parent need not be killed');
      assert.equal(down.exitCode, 0);
      await line(id, 'State changed from up to down');
      assert.deepEqual(appLines(id).filter((l) => l.endsWith(' TERM')).sort(), ['child 1 TERM', 'child 2 TERM', 'child 3 TERM', 'parent TERM']);
    });

    await t.test('an app with no SIGTERM handler stops at SIGTERM, though it is not pid 1 of its own accord', async () => {
      // Without the init, the app would be pid 1, which the kernel shields from signals it does not handle.
      const id = `plain-${process.pid}`;
      await start({ ...base, id, processType: 'worker', cmd: ['/bin/sh', '-c', 'echo ready; exec sleep 1000'] });
      await line(id, 'ready');
      await change(id, 'up');
      const t0 = Date.now();
      const down = await stop(id);
      assert.ok(Date.now() - t0 < 5000, `stopped ${Date.now() - t0} ms after SIGTERM, not at the SIGKILL`);
      assert.equal(down.exitCode, 143, 'killed by SIGTERM (128 + 15), as Heroku reports it');
      await line(id, 'Process exited with status 143');
    });

    await t.test('an app ignoring SIGTERM is SIGKILLed 30 s later (the default grace)', async () => {
      const id = `deaf-${process.pid}`;
      await start({ ...base, id, processType: 'worker', cmd: worker(`trap '' TERM; echo ready; ${loop}`) });
      await line(id, 'ready');
      await change(id, 'up');
      const t0 = Date.now();
      const down = await stop(id);
      assert.equal(down.exitCode, 137);
      const exited = await line(id, 'Process exited with status 137');
      const killedAfterMs = Date.parse(exited.time) - t0;
      assert.ok(Math.abs(killedAfterMs - 30_000) <= 1000, `SIGKILL ${killedAfterMs} ms after the stop request`);
      const l = paasLines(id);
      assert.deepEqual(l.slice(l.indexOf('Stopping all processes with SIGTERM')), [
        'Stopping all processes with SIGTERM',
        'Error R12 (Exit timeout): at least one process failed to exit within 30 seconds of SIGTERM',
        'Stopping remaining processes with SIGKILL',
        'Process exited with status 137',
        'State changed from up to down',
      ]);
    });
  } finally {
    await agent?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await setup.cleanup();
  }
});
