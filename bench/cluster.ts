/**
 * A deploy across the cluster (issue #10): the cluster of the cluster test
 * (test/helpers/paas-cluster.ts: control node on MariaDB, three nats-servers, two
 * routers, three hosts in network namespaces) runs shell-hello at web=30; a new release
 * (config:set) is rolled out in batches of 10 while steady traffic goes through both
 * routers.
 *
 * - Rolled out: from the config:set call until the controller has 30 web dynos up of
 *   the new release and the hosts run exactly those 30 (no process of the old one).
 *   Baseline, same cluster and run: the first start of the same 30 processes (web 0 →
 *   30, same release, no traffic, nothing to replace), so the ratio is what a rolling
 *   deploy under traffic costs over starting the containers at all. (The engines have
 *   no create call from outside their host's agent, so the agent's own start is the
 *   rawest start across the three namespaces.)
 * - Success rate: the share of requests answered 200 by the app during the rollout.
 *   Baseline: the same traffic for 20 s with nothing changing.
 *
 * Names: LAN paasy0 10.106.0.0/24, netns paasyn1..3, hosts' bridges paasyb1..3 on
 * 10.107.1-3.0/24, the control node's paasyb0; base dir /tmp/paas-cluster-bench. On
 * two cores a deploy starts 10 at a time (PAAS_DEPLOY_BATCH_SIZE). Memory is no limit
 * here: each namespace host offers the machine's memory, and shell-hello's perl server
 * uses ~3 MB of its standard-1x 512 MB.
 */
import fs from 'node:fs';
import { CLUSTER_DOMAIN, formationWhole, startPaasCluster, type PaasCluster } from '../test/helpers/paas-cluster';
import { sampleRepo, sleep } from '../test/helpers/paas';
import { steadyTraffic, type Sample } from '../test/helpers/steady-traffic';
import { printTable, type BenchResult } from './table';

const APP = 'rollout';
const WEB = 30;
const PER_ROUTER_PER_SECOND = 20;

function trafficThroughBoth(c: PaasCluster): { stop(): Promise<Sample[]> } {
  const all = c.routers.map((r) => steadyTraffic({ port: r.port, host: `${APP}.${CLUSTER_DOMAIN}`, perSecond: PER_ROUTER_PER_SECOND, expect: 'Hello from shell-hello', timeoutMs: 45_000 }));
  return { stop: async () => (await Promise.all(all.map((t) => t.stop()))).flat() };
}

const successPercent = (samples: Sample[]): number => (100 * samples.filter((s) => s.ok).length) / Math.max(1, samples.length);

export async function benchCluster(): Promise<BenchResult[]> {
  const c = await startPaasCluster({
    layout: {
      lanBridge: 'paasy0',
      lanPrefix: '10.106.0',
      netnsPrefix: 'paasyn',
      vethPrefix: 'paasyv',
      bridgePrefix: 'paasyb',
      subnetPrefix: '10.107',
      hostIdPrefix: 'yhost',
      baseDir: '/tmp/paas-cluster-bench',
    },
    controlEnv: { PAAS_DEPLOY_BATCH_SIZE: '10', PAAS_DEPLOY_TIMEOUT_MS: '600000' },
  });
  let repo: string | undefined;
  try {
    repo = sampleRepo(c.user, 'shell-hello');
    if (c.user.paas(['apps:create', APP], repo).status !== 0) throw new Error('apps:create failed');
    const push = c.user.git(['push', 'paas', 'main'], repo);
    if (push.status !== 0) throw new Error(`push failed:\n${push.stderr}`);
    await formationWhole(c, APP, 1, { what: 'after the push', timeoutMs: 180_000 });

    await c.api.scale(APP, [{ type: 'web', quantity: 0 }]);
    await formationWhole(c, APP, 0, { what: 'at web=0', timeoutMs: 120_000 });
    const t0 = performance.now();
    await c.api.scale(APP, [{ type: 'web', quantity: WEB }]);
    const first = await formationWhole(c, APP, WEB, { what: `at web=${WEB}`, timeoutMs: 600_000 });
    const firstStartMs = performance.now() - t0;
    const perHost = new Map<string, number>();
    for (const j of first.jobs) perHost.set(j.hostId, (perHost.get(j.hostId) ?? 0) + 1);
    console.error(`cluster bench: web=${WEB} across the hosts: ${JSON.stringify(Object.fromEntries(perHost))}`);

    const steady = trafficThroughBoth(c);
    await sleep(20_000);
    const steadySamples = await steady.stop();

    const traffic = trafficThroughBoth(c);
    await sleep(2_000);
    const t1 = performance.now();
    await c.api.setConfig(APP, { BENCH_DEPLOY: String(Date.now()) });
    const rolled = await formationWhole(c, APP, WEB, { what: 'after the deploy', timeoutMs: 900_000 });
    const rolloutMs = performance.now() - t1;
    await sleep(2_000);
    const samples = await traffic.stop();
    if (rolled.release <= first.release) throw new Error(`no new release rolled out (v${rolled.release})`);
    const failed = samples.filter((s) => !s.ok);
    console.error(`cluster bench: v${first.release} → v${rolled.release} in ${(rolloutMs / 1000).toFixed(1)} s; ${samples.length} requests, ${failed.length} failed ${JSON.stringify(failed.slice(0, 5).map((f) => f.detail))}; steady: ${steadySamples.length} requests, ${steadySamples.filter((s) => !s.ok).length} failed`);
    return [
      { name: `deploy to web=${WEB} on 3 hosts → rolled out`, value: rolloutMs, unit: 'ms', baseline: firstStartMs, baselineName: `first start web=0→${WEB}` },
      { name: `deploy to web=${WEB}: requests answered 200`, value: successPercent(samples), unit: '%', baseline: successPercent(steadySamples), baselineName: 'same traffic, no deploy' },
    ];
  } catch (err) {
    // What the control node (the scheduler) said about it, for a figure that did not come.
    console.error(c.control.output().split('\n').filter((l) => /warn|error/i.test(l)).slice(-40).join('\n'));
    throw err;
  } finally {
    await c.teardown();
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchCluster().then(
    (results) => printTable(results),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
