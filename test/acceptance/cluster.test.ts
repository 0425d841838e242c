/**
 * The whole cluster on one machine (issue #10, test/helpers/paas-cluster.ts): a control
 * node (controller, scheduler, builder, registry) on MariaDB, NATS as three
 * nats-servers, two router nodes and three engine hosts in network namespaces. A real
 * push, web=6 spread 2 per host, steady traffic through both routers; then, one after
 * the other, each followed by "the formation is whole again (6 web processes up, of the
 * current release, each running once) and no request failed that may not":
 *
 *   (a) a host is hard-stopped (T14): only requests in flight on its processes may fail,
 *       replacements within 30 s; when it comes back its duplicates are stopped;
 *   (b) one nats-server stops, then starts again: no request fails;
 *   (c) MariaDB restarts: no request fails;
 *   (d) a host agent restarts (SIGTERM, started again on its data dir; T18): no request
 *       fails, and it re-adopts its containers (same ids).
 *
 * Names: LAN paasx0 10.104.0.0/24, netns paasxn1..3, hosts' bridges paasxb1..3 on
 * 10.105.1-3.0/24, the control node's paasxb0 on 10.105.0.0/24.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Subscription } from 'nats';
import { subjects } from '../../shared';
import { liveContainers, runningJobs } from '../helpers/host-jobs';
import { CLUSTER_DOMAIN, formationWhole, startPaasCluster, type PaasCluster } from '../helpers/paas-cluster';
import { eventually, request, sampleRepo, sleep } from '../helpers/paas';
import { steadyTraffic, stopAllTraffic, type Sample, type Traffic } from '../helpers/steady-traffic';

const isRoot = process.getuid?.() === 0;
const hasServers = ['nats-server', 'mariadbd'].every((b) => ['/usr/sbin', '/usr/bin'].some((d) => fs.existsSync(path.join(d, b))));
const APP = 'clustered';
const HOST = `${APP}.${CLUSTER_DOMAIN}`;
const EXPECT = 'Hello from shell-hello';
/** Per router: 2 × 25 req/s, each a new connection. */
const PER_ROUTER_PER_SECOND = 25;
const REPLACE_WITHIN_MS = 30_000;

describe('a cluster: control node on MariaDB, three nats-servers, two routers, three hosts', { skip: (!isRoot || !hasServers) && 'needs root, nats-server and mariadbd' }, () => {
  let c: PaasCluster;
  let repo: string | undefined;
  let routerLog: Subscription | undefined;
  /** request_id → the dyno the router sent it to, from the routers' log lines. */
  const routedTo = new Map<string, string>();

  const allHosts = (): string[] => c.netns.hosts.map((h) => h.id);
  const whole = (what: string, hostIds?: string[], timeoutMs?: number) => formationWhole(c, APP, 6, { what, hostIds, timeoutMs });

  /** Steady traffic through both routers. */
  const trafficThroughBoth = (): Traffic[] => c.routers.map((r) => steadyTraffic({ port: r.port, host: HOST, perSecond: PER_ROUTER_PER_SECOND, expect: EXPECT, timeoutMs: 45_000 }));
  const stopTraffic = async (traffic: Traffic[]): Promise<Sample[]> => (await Promise.all(traffic.map((t) => t.stop()))).flat().sort((a, b) => a.start - b.start);
  const describeFailures = (failed: Sample[], t0: number): string =>
    JSON.stringify(failed.slice(0, 20).map((f) => ({ at: f.start - t0, took: f.end - f.start, detail: f.detail, router: f.routerPort, dyno: routedTo.get(f.requestId) })));
  const assertNoFailure = (samples: Sample[], what: string, t0: number): void => {
    const failed = samples.filter((s) => !s.ok);
    console.log(`${what}: ${samples.length} requests through both routers, ${failed.length} failed`);
    assert.ok(samples.length > 200, `traffic flowed (${samples.length} requests)`);
    assert.ok(c.routers.every((r) => samples.some((s) => s.routerPort === r.port && s.ok)), 'both routers served');
    assert.deepEqual(failed, [], `no request fails ${what}: ${describeFailures(failed, t0)}`);
  };

  before(async () => {
    c = await startPaasCluster({
      layout: {
        lanBridge: 'paasx0',
        lanPrefix: '10.104.0',
        netnsPrefix: 'paasxn',
        vethPrefix: 'paasxv',
        bridgePrefix: 'paasxb',
        subnetPrefix: '10.105',
        hostIdPrefix: 'xhost',
        baseDir: '/tmp/paas-cluster-test',
      },
    });
    routerLog = c.nc.subscribe(subjects.appLog.name(APP));
    void (async () => {
      for await (const m of routerLog!) {
        const line = subjects.appLog.schema.safeParse(m.json());
        if (!line.success || line.data.dyno !== 'router') continue;
        const id = /request_id=(\S+)/.exec(line.data.line)?.[1];
        const dyno = / dyno=(\S+)/.exec(line.data.line)?.[1];
        if (id && dyno) routedTo.set(id, dyno);
      }
    })();
  });

  after(async () => {
    await stopAllTraffic();
    routerLog?.unsubscribe();
    await c?.teardown();
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  test('a real git push to the control node builds, publishes, and web=6 runs 2 per host, served by both routers', async () => {
    repo = sampleRepo(c.user, 'shell-hello');
    const create = c.user.paas(['apps:create', APP], repo);
    assert.equal(create.status, 0, create.stderr);
    const push = c.user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, `${push.stdout}\n${push.stderr}\n${c.control.output().slice(-3000)}`);
    assert.match(push.stderr, /Image published/);
    assert.match(push.stderr, /Released v1/);

    await c.api.scale(APP, [{ type: 'web', quantity: 6 }]);
    const { dynos } = await whole('after web=6', allHosts(), 180_000);
    const perHost = new Map<string, number>();
    for (const d of dynos) perHost.set(String(d.host), (perHost.get(String(d.host)) ?? 0) + 1);
    assert.deepEqual([...perHost.entries()].sort(), allHosts().map((id) => [id, 2]), JSON.stringify(dynos.map((d) => [d.name, d.host])));
    for (const r of c.routers) {
      const res = await eventually(`router on ${r.port} to serve the app`, async () => {
        const got = await request(r.port, HOST);
        return got.status === 200 ? got : undefined;
      });
      assert.match(res.body, /Hello from shell-hello/);
    }
  });

  test('(a) a host hard-stopped under traffic (T14): only its in-flight requests fail, replaced within 30 s; back, its duplicates stop', async () => {
    const victim = c.netns.hosts[0]!;
    const survivors = allHosts().filter((id) => id !== victim.id);
    const onVictim = new Set((await c.api.dynos(APP)).filter((d) => d.type === 'web' && d.host === victim.id).map((d) => d.name));
    assert.equal(onVictim.size, 2, 'the victim runs 2 web processes');

    const traffic = trafficThroughBoth();
    await sleep(3_000);
    const killedAt = Date.now();
    // Its containers run on, cut off with it: when it returns, they are the duplicates.
    await c.netns.killHost(victim.index, { keepContainers: true });
    await whole('on the surviving hosts', survivors, 60_000);
    const replacedAfter = Date.now() - killedAt;
    await sleep(10_000);
    const samples = await stopTraffic(traffic);
    const failed = samples.filter((s) => !s.ok);
    console.log(`(a) ${samples.length} requests, ${failed.length} failed; replacements up ${replacedAfter} ms after the kill; failures: ${describeFailures(failed, killedAt)}`);
    assert.ok(replacedAfter <= REPLACE_WITHIN_MS, `replacements up within 30 s (took ${replacedAfter} ms)`);
    assert.ok(samples.length > 200 && c.routers.every((r) => samples.some((s) => s.routerPort === r.port && s.start > killedAt + 5_000 && s.ok)), 'both routers kept serving');
    // In flight on the killed host: sent before the kill, to one of its processes (the router's log line for it says which).
    const excused = (s: Sample): boolean => s.start < killedAt && onVictim.has(routedTo.get(s.requestId) ?? '');
    assert.deepEqual(failed.filter((s) => !excused(s)), [], `only requests in flight on the killed host fail: ${describeFailures(failed.filter((s) => !excused(s)), killedAt)}`);

    const stale = liveContainers(victim.dataDir);
    assert.equal(stale.length, 2, 'the cut-off host still runs its 2 old web processes');
    await c.netns.startHost(victim.index);
    const { jobs } = await whole('after the host returned: its duplicates stopped', allHosts(), 30_000);
    assert.ok(jobs.every((j) => !stale.includes(j.id)), 'the returned host runs none of its old processes');
  });

  test('(b) one nats-server stops and starts again: no request fails, the formation stays whole', async () => {
    const traffic = trafficThroughBoth();
    await sleep(3_000);
    const t0 = Date.now();
    const server = c.netns.nats!.servers[0]!;
    await server.stop();
    await sleep(15_000);
    await whole('with one nats-server down');
    await server.start();
    await sleep(10_000);
    await whole('with the nats-server back');
    assertNoFailure(await stopTraffic(traffic), 'through the loss of a nats-server', t0);
  });

  test('(c) MariaDB restarts: no request fails, the API serves again, the formation stays whole', async () => {
    const traffic = trafficThroughBoth();
    await sleep(3_000);
    const t0 = Date.now();
    await c.db.stop();
    await sleep(10_000);
    await c.db.start();
    await whole('after MariaDB restarted');
    await sleep(5_000);
    assertNoFailure(await stopTraffic(traffic), 'through a MariaDB restart', t0);
  });

  test('(d) a host agent restarts (T18): no request fails, it re-adopts its containers, the formation stays whole', async () => {
    const before = await runningJobs(c.nc, allHosts(), APP);
    const host = c.netns.hosts.find((h) => before.some((j) => j.hostId === h.id))!;
    const itsJobs = before.filter((j) => j.hostId === host.id).map((j) => j.id).sort();
    assert.ok(itsJobs.length > 0, 'the host runs web processes');

    const traffic = trafficThroughBoth();
    await sleep(3_000);
    const t0 = Date.now();
    await c.netns.stopHost(host.index);
    await c.netns.startHost(host.index);
    const { jobs } = await whole('after the agent restarted');
    await sleep(5_000);
    const samples = await stopTraffic(traffic);
    assert.deepEqual(jobs.filter((j) => j.hostId === host.id).map((j) => j.id).sort(), itsJobs, `the restarted agent runs the same containers (re-adopted, not replaced)`);
    assertNoFailure(samples, 'through a host agent restart', t0);
  });
});
