/**
 * Adding hosts the documented way (issue #10): a control plane (paas up, running no jobs)
 * and two machines in network namespaces that have nothing but paas installed. The
 * operator makes a join token (`paas hosts:join-token`); each machine runs the command it
 * prints (`paas host:join <nats-url> --token ...`, here with --start in the foreground).
 * No route and no registry token is set by hand: the hosts get their subnets and the
 * registry's credentials from the controller, and every node routes the other hosts'
 * subnets itself (daemon/container-routes.ts). Then web=2 spreads over both hosts,
 * answers through the router, and a container on one host reaches the app's container
 * on the other.
 *
 * Names and subnets of its own: LAN bridge paasj0 10.100.0.0/24, netns paasjn1/2, veths
 * paasjv1/2, hosts' bridges paasjb1/2, container pool 10.101.0.0/16 (the control plane's
 * bridge paasjb0 takes its first /24, so the hosts get 10.101.1.0/24 and 10.101.2.0/24).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../../controller/client';
import { ROUTE_PROTO } from '../../daemon/container-routes';
import { startNetnsCluster, type NetnsCluster, type NetnsLayout } from '../helpers/netns-hosts';
import { eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const APP = 'joined';

const LAYOUT: NetnsLayout = {
  lanBridge: 'paasj0',
  lanPrefix: '10.100.0',
  netnsPrefix: 'paasjn',
  vethPrefix: 'paasjv',
  bridgePrefix: 'paasjb',
  subnetPrefix: '10.101',
  hostIdPrefix: 'joined',
  baseDir: path.join(os.tmpdir(), 'paas-join-cluster'),
};

/** A TCP connect from the given command prefix's namespace: connected, refused or timeout. */
function probe(prefix: string[], host: string, port: number): string {
  const code = `const s = require('net').connect(${port}, '${host}'); s.setTimeout(3000);
    s.on('connect', () => { console.log('connected'); s.destroy(); }); s.on('timeout', () => { console.log('timeout'); s.destroy(); });
    s.on('error', (e) => console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code));`;
  const argv = [...prefix, process.execPath, '-e', code];
  return spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 15_000 }).stdout.trim();
}

/** paas's routes (their protocol marks them) in a namespace: subnet → gateway. */
function paasRoutes(netns?: string): Record<string, string> {
  const argv = [...(netns ? ['-n', netns] : []), '-j', '-4', 'route', 'show', 'proto', String(ROUTE_PROTO)];
  const routes = JSON.parse(spawnSync('ip', argv, { encoding: 'utf8' }).stdout || '[]') as { dst: string; gateway?: string }[];
  return Object.fromEntries(routes.filter((r) => r.dst.startsWith('10.101.')).map((r) => [r.dst, r.gateway ?? '']));
}

describe('hosts join with one command: subnets, registry credentials and routes come from the cluster', { skip: !isRoot && 'needs root: namespaces and containers' }, () => {
  let cluster: NetnsCluster;
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let api: ControllerClient;
  let repo: string | undefined;
  const host = `${APP}.paas.localhost`;

  before(async () => {
    cluster = await startNetnsCluster({ hosts: 2, layout: LAYOUT, routes: false });
    settings = await newSettings({
      NATS_URL: cluster.natsUrl,
      PAAS_HOST_JOBS: '0',
      PAAS_BIND_ADDRESS: '0.0.0.0',
      PAAS_BRIDGE_NAME: cluster.controlBridge,
      PAAS_BRIDGE_CIDR: '10.101.0.1/24',
      PAAS_HOST_SUBNET_POOL: '10.101.0.0/16',
    });
    settings.extraEnv.PAAS_REGISTRY_URL = `http://${cluster.lanGateway}:${settings.registryPort}`;
    paas = await startPaas(settings);
    user = newUser();
    api = loginAsAdmin(user, paas);
  });

  after(async () => {
    if (user && paas) {
      user.paas(['apps:destroy', APP, '--confirm', APP]);
      await sleep(3000);
    }
    const code = await paas?.stop();
    await cluster?.teardown();
    for (const dir of [settings?.dataDir, user?.home, repo]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (paas) assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
  });

  test('the operator gets a token and the exact command; each new machine joins with it and shows up in paas hosts', async () => {
    const made = user.paas(['hosts:join-token']);
    assert.equal(made.status, 0, made.stderr);
    const command = /^\s+(sudo paas host:join .*)$/m.exec(made.stdout)?.[1];
    assert.ok(command, made.stdout);
    const argv = command.split(' ').slice(2);
    assert.deepEqual(argv.slice(0, 2), ['host:join', cluster.natsUrl], 'the command names the cluster NATS as the hosts reach it');
    for (const h of cluster.hosts) await cluster.joinHost(h.index, [...argv, '--host-id', h.id]);
    for (const h of cluster.hosts) {
      assert.match(h.output(), new RegExp(`This machine is host ${h.id}: containers ${h.subnet.replace(/\./g, '\\.')}, reached at ${h.address.replace(/\./g, '\\.')}\\.`));
      const file = fs.readFileSync(`${h.dataDir}.env`, 'utf8');
      assert.match(file, /^PAAS_DATA_DIR=/m, 'the settings the machine had are kept');
      assert.match(file, /^PAAS_REGISTRY_TOKEN=\S+/m, 'the registry credential came with the join');
      assert.equal(fs.statSync(`${h.dataDir}.env`).mode & 0o777, 0o600);
    }
    const hosts = await eventually('both hosts in paas hosts', async () => {
      const list = JSON.parse(user.paas(['hosts', '--json']).stdout) as { id: string; address: string; subnet: string; alive: boolean }[];
      return list.filter((h) => h.alive).length === 2 ? list : undefined;
    });
    assert.deepEqual(hosts.map((h) => [h.id, h.address, h.subnet]), cluster.hosts.map((h) => [h.id, h.address, h.subnet]));
    const tokens = JSON.parse(user.paas(['hosts:join-tokens', '--json']).stdout) as { uses: number }[];
    assert.equal(tokens[0]?.uses, 2);
  });

  test('every node routes the other hosts’ subnets by itself, and never its own', async () => {
    const [h1, h2] = cluster.hosts as [NetnsCluster['hosts'][0], NetnsCluster['hosts'][0]];
    await eventually('routes on the control plane and both hosts', async () => {
      const ok =
        JSON.stringify(paasRoutes()) === JSON.stringify({ [h1.subnet]: h1.address, [h2.subnet]: h2.address }) &&
        JSON.stringify(paasRoutes(h1.netns)) === JSON.stringify({ [h2.subnet]: h2.address }) &&
        JSON.stringify(paasRoutes(h2.netns)) === JSON.stringify({ [h1.subnet]: h1.address });
      return ok || undefined;
    }, 30_000);
  });

  test('a push is pulled by the joined hosts; web=2 spreads over both and answers through the router', async () => {
    repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', APP], repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, `${push.stdout}\n${push.stderr}\n${paas.output().slice(-3000)}`);
    await api.scale(APP, [{ type: 'web', quantity: 2 }]);
    const dynos = await eventually('2 web dynos up, one per host', async () => {
      const up = (await api.dynos(APP)).filter((d) => d.type === 'web' && d.state === 'up');
      return up.length === 2 && new Set(up.map((d) => d.host)).size === 2 ? up : undefined;
    }, 120_000);
    for (const d of dynos) {
      const h = cluster.hosts.find((x) => x.id === d.host);
      assert.ok(h && d.ip?.startsWith(h.subnet.replace(/0\/24$/, '')), `${d.name} on ${d.host} has an address of that host's subnet: ${d.ip}`);
    }
    const res = await eventually('the app to answer through the router', async () => {
      const r = await request(settings.routerPort, host);
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /Hello from shell-hello/);
    // The router (root namespace) reaches each dyno at its own address, by paas's routes alone.
    for (const d of dynos) assert.equal(probe([], d.ip!, d.port ?? 5000), 'connected', `${d.name} at ${d.ip} from the router's namespace`);
  });

  test("a container on one host reaches the app's container on the other", async () => {
    const dynos = (await api.dynos(APP)).filter((d) => d.type === 'web' && d.state === 'up');
    for (const from of cluster.hosts) {
      const here = dynos.find((d) => d.host === from.id);
      const there = dynos.find((d) => d.host !== from.id);
      assert.ok(here && there?.ip, JSON.stringify(dynos));
      const state = JSON.parse(fs.readFileSync(path.join(from.dataDir, 'engine', 'containers', here.id, 'state.json'), 'utf8')) as { netns: string };
      const result = await eventually(`${here.name} on ${from.id} → ${there.name} at ${there.ip}`, async () => {
        const r = probe(['ip', 'netns', 'exec', state.netns], there.ip!, there.port ?? 5000);
        return r === 'connected' ? r : (await sleep(500), undefined);
      }, 20_000);
      assert.equal(result, 'connected');
    }
  });

  test('a removed host’s routes go from the other nodes', async () => {
    const [h1, h2] = cluster.hosts as [NetnsCluster['hosts'][0], NetnsCluster['hosts'][0]];
    await api.scale(APP, [{ type: 'web', quantity: 1 }]);
    const drain = user.paas(['hosts:drain', h2.id]);
    assert.equal(drain.status, 0, drain.stderr);
    await eventually(`${h2.id} to have no jobs`, async () => {
      const r = user.paas(['hosts:remove', h2.id]);
      return r.status === 0 ? true : (await sleep(1000), undefined);
    }, 90_000);
    await eventually(`the routes to ${h2.id} to go`, async () => {
      const ok = !(h2.subnet in paasRoutes()) && !(h2.subnet in paasRoutes(h1.netns)) && h1.subnet in paasRoutes();
      return ok || undefined;
    }, 30_000);
  });

  test('the removed machine joins again: same subnet, back in paas hosts, routes back', async () => {
    const [h1, h2] = cluster.hosts as [NetnsCluster['hosts'][0], NetnsCluster['hosts'][0]];
    await cluster.killHost(h2.index);
    const made = JSON.parse(user.paas(['hosts:join-token', '--json', '--expires-in', '10m']).stdout) as { command: string };
    await cluster.joinHost(h2.index, [...made.command.split(' ').slice(2), '--host-id', h2.id]);
    assert.match(h2.output(), new RegExp(`This machine is host ${h2.id}: containers ${h2.subnet.replace(/\./g, '\\.')},`));
    await eventually(`${h2.id} back in paas hosts`, async () => {
      const list = JSON.parse(user.paas(['hosts', '--json']).stdout) as { id: string; alive: boolean; draining: boolean }[];
      return list.find((h) => h.id === h2.id && h.alive && !h.draining);
    });
    await eventually(`the routes to ${h2.id} to come back`, async () => (paasRoutes()[h2.subnet] === h2.address && paasRoutes(h1.netns)[h2.subnet] === h2.address) || undefined, 30_000);
  });
});
