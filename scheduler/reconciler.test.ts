/**
 * The reconciler against a NATS server of its own (JetStream on, so the leader lock is
 * real) with hand-written fakes of the host agents, a router and the controller: scale
 * and spread, a deploy whose old web jobs leave the router before they are stopped, a
 * failed deploy that leaves the old formation alone, a dead host replaced and its
 * duplicates stopped when it returns, a drained host evacuated, a rolling restart
 * keeping dyno names, and a one-off process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import type { ControllerClient, DesiredApp, JobReport, SchedulerHost } from '../controller';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { publish, silentLogger, subjects, subscribe, type JobInfo, type JobSpec } from '../shared';
import { freePort } from '../test/helpers/ports';
import { startScheduler, type RunningScheduler } from './reconciler';

const GiB = 1024 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** What happened, in order, across hosts and the router. */
const events: string[] = [];

class FakeHost {
  readonly jobs = new Map<string, JobInfo>();
  readonly specs: JobSpec[] = [];
  beating = true;
  /** false: heartbeats go on but jobs.list gets no answer (a host too busy to reply). */
  listing = true;
  crashRelease?: number;
  private timer?: NodeJS.Timeout;
  private subs: { unsubscribe(): void }[] = [];

  constructor(private readonly nc: NatsConnection, readonly id: string, private readonly memoryBytes = 8 * GiB) {}

  start(): void {
    const nc = this.nc;
    this.subs = [
      subscribe(nc, subjects.jobStart.name(this.id), subjects.jobStart.schema, silentLogger, (spec, reply) => {
        this.specs.push(spec);
        const info: JobInfo = { id: spec.id, app: spec.app, release: spec.release, processType: spec.processType, hostId: this.id, state: 'starting', ip: '10.9.0.2', port: spec.port, dyno: spec.dyno, oneOff: spec.oneOff, memoryBytes: spec.memoryBytes, startedAt: new Date().toISOString() };
        this.jobs.set(spec.id, info);
        events.push(`start ${spec.dyno} v${spec.release} on ${this.id}`);
        reply(info);
        setTimeout(() => {
          const crash = this.crashRelease === spec.release;
          if (nc.isClosed() || !this.jobs.has(spec.id)) return;
          const next: JobInfo = { ...info, state: crash ? 'crashed' : 'up', ...(crash ? { exitCode: 1 } : {}) };
          this.jobs.set(spec.id, next);
          publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, next);
        }, 100);
      }),
      subscribe(nc, subjects.jobStop.name(this.id), subjects.jobStop.schema, silentLogger, (req, reply) => {
        const job = this.jobs.get(req.id);
        if (!job) return reply({ error: { code: 'job_not_found', message: 'no such job' } });
        events.push(`stop ${job.id}`);
        this.jobs.delete(req.id);
        const down = { ...job, state: 'down' as const };
        publish(nc, subjects.jobChanged.name, subjects.jobChanged.schema, down);
        reply(down);
      }),
      subscribe(nc, subjects.jobList.name(this.id), subjects.jobList.schema, silentLogger, (_req, reply) => (this.beating && this.listing ? reply([...this.jobs.values()]) : undefined)),
    ];
    const beat = (): void => {
      if (this.beating && !nc.isClosed()) publish(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, { hostId: this.id, address: '127.0.0.1', memoryBytes: this.memoryBytes, cpus: 4, runtime: 'fake', jobs: [...this.jobs.values()], at: new Date().toISOString() });
    };
    beat();
    this.timer = setInterval(beat, 200);
  }

  live(app = 'hello'): JobInfo[] {
    return [...this.jobs.values()].filter((j) => j.app === app && (j.state === 'up' || j.state === 'starting'));
  }

  stop(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.unsubscribe();
  }
}

class FakeController {
  desired: DesiredApp[] = [];
  hosts: SchedulerHost[] = [];
  readonly reports = new Map<string, JobReport>();
  /** 'starting' reports take 300 ms, so the 'up' of the same job is made while they are in flight. */
  slowReports = false;
  /** Every report in the order the controller took them: `<job id> <state>`. */
  readonly history: string[] = [];
  readonly deploys: { id: string; app: string; release: number; from: number | null; status?: string; reason?: string }[] = [];

  client(): ControllerClient {
    return {
      desiredState: async () => structuredClone(this.desired),
      schedulerHosts: async () => this.hosts,
      reportJob: async (id: string, r: JobReport) => {
        // A report can be slow: the next one for the same job must not overtake it.
        if (this.slowReports && r.state === 'starting') await new Promise((res) => setTimeout(res, 300));
        this.reports.set(id, r);
        this.history.push(`${id} ${r.state}`);
      },
      recordedJobs: async () =>
        [...this.reports].map(([id, r]) => ({ id, app: r.app, release: r.release, type: r.type, host: r.host, state: r.state, ip: r.ip ?? null, port: r.port ?? null, dyno: r.dyno ?? null, one_off: !!r.oneOff, reason: r.reason ?? null, memory_bytes: r.memoryBytes ?? null })),
      forgetJob: async (id: string) => {
        events.push(`forget ${id}`);
        this.reports.delete(id);
      },
      startDeploy: async (app: string, d: { release: number; from: number | null }) => {
        const id = `d${this.deploys.length + 1}`;
        this.deploys.push({ id, app, ...d });
        return { id };
      },
      finishDeploy: async (id: string, outcome: { status: string; reason?: string }) => {
        const d = this.deploys.find((x) => x.id === id);
        if (d) Object.assign(d, outcome);
        // What the controller does on failure: the app goes back to the previous release.
        const app = this.desired.find((a) => a.app === d?.app);
        if (d && app?.release && outcome.status === 'failed') app.release = { ...release(d.from ?? 0), status: 'succeeded' };
        if (d && app?.release && outcome.status === 'succeeded') app.release.status = 'succeeded';
        return d;
      },
    } as unknown as ControllerClient;
  }
}

const release = (version: number): NonNullable<DesiredApp['release']> => ({
  version,
  image: `paas/hello:v${version}`,
  process_types: { web: 'node server.js', worker: 'node worker.js' },
  config: { GREETING: 'hi' },
  launcher: 'buildpack',
  status: 'pending',
  healthchecks: { web: { path: '/health', attempts: 3 } },
});

describe('reconciler (own NATS, fake hosts, router and controller)', () => {
  let nats: EmbeddedNats;
  let dir: string;
  let nc: NatsConnection;
  let scheduler: RunningScheduler;
  const ctl = new FakeController();
  const hosts: FakeHost[] = [];
  const routerSubs: { unsubscribe(): void }[] = [];
  let routerBeat: NodeJS.Timeout | undefined;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-sched-test-'));
    nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
    nc = await connect({ servers: nats.url });
    for (const id of ['ha', 'hb', 'hc']) {
      const h = new FakeHost(nc, id);
      h.start();
      hosts.push(h);
    }
    routerSubs.push(
      subscribe(nc, subjects.routerUnroute.name('r1'), subjects.routerUnroute.schema, silentLogger, ({ jobIds }, reply) => {
        events.push(`unroute ${[...jobIds].sort().join(',')}`);
        reply({ routerId: 'r1' });
      }),
    );
    const beat = () => publish(nc, subjects.routerHeartbeat.name, subjects.routerHeartbeat.schema, { routerId: 'r1', at: new Date().toISOString() });
    beat();
    routerBeat = setInterval(beat, 200);
    scheduler = startScheduler({ client: ctl.client(), nc, log: silentLogger, reconcileMs: 300, stopGraceMs: 1_000, defaultMemoryBytes: 512 * 1024 * 1024, hostDeadAfterMs: 1_500, instanceId: 'test-scheduler' });
    await until('the scheduler to lead', () => scheduler.isLeader());
  });

  after(async () => {
    await scheduler?.stop();
    clearInterval(routerBeat);
    for (const s of routerSubs) s.unsubscribe();
    for (const h of hosts) h.stop();
    await nc?.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const all = (): JobInfo[] => hosts.flatMap((h) => h.live());

  test('scales web to 3 spread over 3 hosts, named web.1..3, with size limits, DYNO and the health check', async () => {
    ctl.desired = [{ app: 'hello', release: release(1), previousVersion: null, formation: [{ type: 'web', quantity: 3, size: 'standard-2x' }], oneOffs: [] }];
    await scheduler.reconcile();
    await until('3 web up', () => all().filter((j) => j.state === 'up').length === 3);
    assert.deepEqual(hosts.map((h) => h.live().length), [1, 1, 1]);
    const specs = hosts.flatMap((h) => h.specs);
    assert.deepEqual(specs.map((s) => s.dyno).sort(), ['web.1', 'web.2', 'web.3']);
    for (const s of specs) {
      assert.equal(s.env.DYNO, s.dyno);
      assert.equal(s.env.PORT, '5000');
      assert.equal(s.memoryBytes, GiB);
      assert.equal(s.cpus, 2);
      assert.deepEqual(s.healthCheck, { path: '/health', attempts: 3 });
      assert.equal(s.stopGraceMs, 1_000);
    }
    assert.equal(new Set(specs.map((s) => s.id)).size, 3);
    await until('the first deploy to succeed', () => ctl.deploys[0]?.status === 'succeeded');
    assert.deepEqual(ctl.deploys[0], { id: 'd1', app: 'hello', release: 1, from: null, status: 'succeeded' });
    await until('the controller to know 3 up jobs', () => [...ctl.reports.values()].filter((r) => r.state === 'up').length === 3);
    assert.ok([...ctl.reports.values()].every((r) => r.dyno?.startsWith('web.')));
  });

  test('deploys v2: new jobs first, each old one leaves the router before it is stopped, then succeeded', async () => {
    const old = all().map((j) => j.id);
    events.length = 0;
    ctl.desired[0].release = release(2);
    ctl.desired[0].previousVersion = 1;
    await scheduler.reconcile();
    await until('the v2 deploy to succeed', () => ctl.deploys[1]?.status === 'succeeded', 20_000);
    assert.deepEqual(ctl.deploys[1], { id: 'd2', app: 'hello', release: 2, from: 1, status: 'succeeded' });
    assert.deepEqual(all().map((j) => j.release), [2, 2, 2]);
    assert.deepEqual(all().map((j) => j.dyno).sort(), ['web.1', 'web.2', 'web.3']);
    const unroute = events.indexOf(`unroute ${[...old].sort().join(',')}`);
    assert.ok(unroute >= 0, events.join('\n'));
    const lastStart = events.map((e, i) => (e.startsWith('start web') ? i : -1)).reduce((a, b) => Math.max(a, b));
    assert.ok(lastStart < unroute, 'every new job started before any old one left');
    for (const id of old) {
      assert.ok(events.indexOf(`forget ${id}`) > unroute, `${id} forgotten after the router dropped it`);
      assert.ok(events.indexOf(`stop ${id}`) > unroute, `${id} stopped after the router dropped it`);
    }
  });

  test('a v3 whose processes crash fails after 5 failed starts; the v2 formation is untouched', async () => {
    const v2 = all().map((j) => j.id).sort();
    for (const h of hosts) h.crashRelease = 3;
    ctl.desired[0].release = release(3);
    ctl.desired[0].previousVersion = 2;
    await scheduler.reconcile();
    await until('the v3 deploy to fail', () => ctl.deploys[2]?.status === 'failed', 20_000);
    assert.match(ctl.deploys[2].reason ?? '', /^\d+ failed starts; last: web\.\d: exited with status 1$/);
    await sleep(1_000);
    assert.deepEqual(all().map((j) => j.id).sort(), v2, 'old formation identical');
    assert.equal(ctl.desired[0].release?.version, 2, 'the controller put v2 back');
    assert.equal(hosts.flatMap((h) => [...h.jobs.values()]).filter((j) => j.release === 3).length, 0, 'nothing of v3 left');
    assert.equal(ctl.deploys.length, 3, 'the rollback is not a deploy');
    for (const h of hosts) h.crashRelease = undefined;
  });

  test('a dead host: its jobs are forgotten and replaced; when it returns its duplicates are stopped', async () => {
    const hc = hosts[2];
    const lostJobs = hc.live().map((j) => j.id);
    hc.beating = false;
    await until('replacements on the other hosts', () => hosts[0].live().length + hosts[1].live().length === 3 && hosts.slice(0, 2).every((h) => h.live().every((j) => j.state === 'up')), 10_000);
    for (const id of lostJobs) assert.equal(ctl.reports.has(id), false, 'lost jobs leave the controller (and so the routes)');
    const names = hosts.slice(0, 2).flatMap((h) => h.live().map((j) => j.dyno)).sort();
    assert.deepEqual(names, ['web.1', 'web.2', 'web.3'], 'the replacement kept its name');
    hc.beating = true;
    await until('the returning duplicates to stop', () => hc.live().length === 0, 10_000);
    assert.equal(hosts[0].live().length + hosts[1].live().length, 3, 'the replacements stay');
  });

  test('a drained host: its jobs move (started elsewhere first), nothing new lands on it', async () => {
    await until('a job on hc again after scaling to 4', () => {
      ctl.desired[0].formation[0].quantity = 4;
      return hosts[2].live().some((j) => j.state === 'up');
    });
    void scheduler.reconcile();
    await until('4 up', () => all().filter((j) => j.state === 'up').length === 4);
    const moving = hosts[2].live().map((j) => j.id);
    events.length = 0;
    ctl.hosts = [{ id: 'hc', draining: true, removed: false }];
    await scheduler.reconcile();
    await until('hc empty', () => hosts[2].live().length === 0, 10_000);
    assert.equal(all().length, 4);
    const started = events.findIndex((e) => e.startsWith('start web'));
    assert.ok(started >= 0 && started < events.indexOf(`stop ${moving[0]}`), events.join('\n'));
    ctl.hosts = [];
    ctl.desired[0].formation[0].quantity = 3;
    await until('scaled back to 3', () => all().length === 3);
    assert.deepEqual(all().map((j) => j.dyno).sort(), ['web.1', 'web.2', 'web.3'], 'scale down removed web.4');
  });

  test('ps:restart web.2: the replacement is web.2 and up before the old web.2 stops', async () => {
    const old = all().find((j) => j.dyno === 'web.2');
    assert.ok(old);
    events.length = 0;
    publish(nc, subjects.dynosRestart.name, subjects.dynosRestart.schema, { app: 'hello', dyno: 'web.2' });
    await until('the old web.2 to stop', () => !all().some((j) => j.id === old.id), 10_000);
    const now = all().filter((j) => j.dyno === 'web.2');
    assert.equal(now.length, 1);
    assert.notEqual(now[0].id, old.id);
    assert.ok(events.indexOf('start web.2 v2 on ha') >= 0 || events.some((e) => e.startsWith('start web.2')));
    assert.ok(events.findIndex((e) => e.startsWith('start web.2')) < events.indexOf(`unroute ${old.id}`));
  });

  test('a host that stops answering but still beats: its jobs are not duplicated, other apps still converge', async () => {
    const before = all().map((j) => j.id).sort();
    hosts[0].listing = false;
    ctl.desired.push({ app: 'other', release: { ...release(1), status: 'succeeded' }, previousVersion: null, formation: [{ type: 'web', quantity: 2, size: 'standard-1x' }], oneOffs: [] });
    try {
      await until('the other app to run on the answering hosts', () => hosts.filter((h) => h.live('other').length === 1).length === 2, 20_000);
      assert.equal(hosts[0].live('other').length, 0, 'nothing new on the silent host');
      assert.deepEqual(all().map((j) => j.id).sort(), before, 'hello untouched');
    } finally {
      hosts[0].listing = true;
      ctl.desired.pop();
    }
    await until('the other app to go', () => hosts.every((h) => h.live('other').length === 0), 10_000);
  });

  test('a one-off process is placed with its own id and env, and not restarted once it ends', async () => {
    ctl.desired[0].oneOffs = [{ id: 'hello-run-4821-abc', dyno: 'run.4821', command: 'bash', size: 'standard-1x', env: { X: '1' } }];
    await scheduler.reconcile();
    const host = await until('the one-off to run', () => hosts.find((h) => h.jobs.has('hello-run-4821-abc')));
    const spec = host.specs.find((s) => s.id === 'hello-run-4821-abc');
    assert.equal(spec?.oneOff, true);
    assert.equal(spec?.env.X, '1');
    assert.equal(spec?.env.DYNO, 'run.4821');
    assert.equal(spec?.port, undefined);
    assert.equal(ctl.reports.get('hello-run-4821-abc')?.oneOff, true);
    publish(nc, subjects.dynosStop.name, subjects.dynosStop.schema, { app: 'hello', dyno: 'run.4821' });
    await until('the one-off to end', () => !host.jobs.has('hello-run-4821-abc'));
    await scheduler.reconcile();
    await scheduler.reconcile();
    assert.equal(hosts.flatMap((h) => h.specs).filter((s) => s.id === 'hello-run-4821-abc').length, 1, 'never restarted');
    assert.equal(all().filter((j) => j.processType === 'web').length, 3, 'the formation is untouched');
  });
  test('a process that fits on no host is reported in its app\'s log stream once, and retried', async () => {
    const lines: string[] = [];
    const sub = subscribe(nc, subjects.appLog.name('big'), subjects.appLog.schema, silentLogger, (l) => void lines.push(`${l.source} ${l.dyno}: ${l.line}`));
    try {
      const big = { app: 'big', release: { ...release(1), image: 'paas/big:v1', status: 'succeeded' as const }, previousVersion: 1, formation: [{ type: 'worker', quantity: 1, size: 'performance-l' }], oneOffs: [] };
      ctl.desired = [...ctl.desired.filter((a) => a.app !== 'big'), big];
      for (let i = 0; i < 3; i++) await scheduler.reconcile();
      await until('the placement failure in the app\'s log', () => lines.length > 0);
      assert.equal(lines.length, 1, `reported once over several passes: ${lines.join(' | ')}`);
      assert.match(lines[0]!, /^paas worker\.1: Process worker\.1 could not be placed: no host has 14336 MiB free \(the most free is \d+ MiB on 3 live hosts\); add a host or choose a smaller size \(paas ps:type\)\. It starts as soon as a host has room\.$/);
      assert.equal(hosts.flatMap((h) => h.live('big')).length, 0, 'nothing was started, and nothing dropped: it stays wanted');
    } finally {
      sub.unsubscribe();
      ctl.desired = ctl.desired.filter((a) => a.app !== 'big');
    }
  });

  test('the controller ends up holding what hosts run: slow reports are not overtaken, lost or stale ones are corrected', async () => {
    const jobsOf = (app: string): JobInfo[] => hosts.flatMap((h) => h.live(app));
    const recorded = (app: string): JobReport[] => [...ctl.reports.values()].filter((r) => r.app === app);
    ctl.slowReports = true;
    try {
      ctl.desired = [...ctl.desired, { app: 'order', release: { ...release(1), image: 'paas/order:v1', status: 'succeeded' as const }, previousVersion: 1, formation: [{ type: 'web', quantity: 2, size: 'standard-1x' }], oneOffs: [] }];
      await scheduler.reconcile();
      await until('2 web of order up on hosts', () => jobsOf('order').filter((j) => j.state === 'up').length === 2);
      // Each 'up' event came while its job's slow 'starting' report was in flight.
      await until('the controller to hold both as up', () => recorded('order').length === 2 && recorded('order').every((r) => r.state === 'up'), 3_000);
      for (const j of jobsOf('order')) {
        const states = ctl.history.filter((h) => h.startsWith(`${j.id} `)).map((h) => h.split(' ')[1]);
        assert.deepEqual(states, ['starting', 'up'], `${j.dyno}: the controller took its reports in the order they were made`);
      }
    } finally {
      ctl.slowReports = false;
    }

    // What a lost or reordered report would leave: a wrong state, a missing job, a job no host runs.
    const [a, b] = jobsOf('order');
    ctl.reports.set(a!.id, { ...ctl.reports.get(a!.id)!, state: 'starting' });
    ctl.reports.delete(b!.id);
    ctl.reports.set('order-web-9-ghost', { ...ctl.reports.get(a!.id)!, state: 'up', dyno: 'web.9' });
    await until('a pass to correct all three', () => {
      const ids = recorded('order').map((r) => `${r.dyno} ${r.state}`).sort();
      return ids.length === 2 && ids.every((x) => x.endsWith(' up')) && !ctl.reports.has('order-web-9-ghost');
    }, 3_000);
    ctl.desired = ctl.desired.filter((x) => x.app !== 'order');
    await scheduler.reconcile();
    await until('order stopped', () => jobsOf('order').length === 0);
  });
});
