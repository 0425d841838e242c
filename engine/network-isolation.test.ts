/**
 * Apps cannot reach each other or the control plane; the nodes (routers, the host)
 * reach every container; containers of one app reach each other, on one host and
 * across hosts, with their own addresses (RELIABILITY.md T23/T24, the network half;
 * isolation-rules.ts). Root only.
 *
 * Real containers on bridge paasi0 10.98.0.1/16 (`sleep`; their listeners and clients
 * run in the containers' network namespaces through `ip netns exec`, which is all that
 * matters to the firewall). Around them, on bridge paasi1 10.99.0.1/16 as the nodes'
 * LAN, two namespaces stand for other machines:
 *
 *   paasi-cp    10.99.0.2 a control-plane node (its API, where a router on another node
 *                         connects from), and 10.99.0.4, an address that is no node
 *                         (as the internet is to the containers)
 *   paasi-peer  10.99.0.3 another paas host, whose containers 10.99.200.5 (app shop)
 *                         and 10.99.200.6 (app blog) the root namespace routes to it
 *
 * The routers' port (ROUTER_PORT, a free one) is the one way in to a node that apps
 * keep: an app calls another by its URL, which resolves to a router node.
 *
 * What the other host's heartbeats say is handed to the engine as its agent does
 * (setIsolationPeers); the last test has the agent itself learn it from a heartbeat on
 * a private nats-server. A full second engine host (test/helpers/netns-hosts.ts) is
 * left to the multihost acceptance test.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import type { EngineApi } from './types';
import { NO_PEERS, type IsolationPeers } from './isolation';
import { connect } from 'nats';
import { publish, silentLogger, subjects, type HostHeartbeat } from '../shared';
import { startAgent } from './agent';
import { freePort } from '../test/helpers/ports';
import { LABEL_APP } from './job-mapping';

const BRIDGE = 'paasi0';
const LAN = 'paasi1';
const CP_NS = 'paasi-cp';
const PEER_NS = 'paasi-peer';
const PORT = 7000;
const PEERS: IsolationPeers = {
  remote: { shop: ['10.99.200.5'], blog: ['10.99.200.6'] },
  peerSubnets: ['10.99.200.0/24'],
  nodes: ['10.99.0.2', '10.99.0.3'],
};

function sh(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout ?? '';
}

/** Listens on every address of its namespace; says the peer's address to each connection, then echoes. */
const SERVER = `require('net').createServer((c) => { c.write(c.remoteAddress + '\\n'); c.pipe(c); c.on('error', () => {}); })
  .listen(${PORT}, '0.0.0.0', () => console.log('listening'));`;

const inNs = (netns: string | undefined, argv: string[]): string[] => (netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv);

/** A TCP connect from `netns` (undefined: the root namespace): `connected <what the server said first>`, `timeout` or `refused`. */
function probe(netns: string | undefined, host: string, options: { port?: number; from?: string } = {}): Promise<string> {
  const code = `const s = require('net').connect({ port: ${options.port ?? PORT}, host: '${host}'${options.from ? `, localAddress: '${options.from}'` : ''} });
    s.setTimeout(1500); let said = '';
    s.on('data', (d) => { said += d; if (said.includes('\\n')) { console.log('connected ' + said.trim()); s.destroy(); } });
    s.on('timeout', () => { console.log('timeout'); s.destroy(); });
    s.on('error', (e) => console.log(e.code === 'ECONNREFUSED' ? 'refused' : e.code));`;
  const argv = inNs(netns, [process.execPath, '-e', code]);
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('exit', () => resolve(out.trim()));
  });
}

async function listen(netns: string | undefined, children: ChildProcess[], server = SERVER): Promise<void> {
  const argv = inNs(netns, [process.execPath, '-e', server]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener in ${netns ?? 'root'} exited ${code}`)));
  });
}

/** The other machines: the LAN bridge and the two namespaces on it. */
function makeLan(): void {
  sh('ip', ['link', 'add', LAN, 'type', 'bridge']);
  sh('ip', ['addr', 'add', '10.99.0.1/16', 'dev', LAN]);
  sh('ip', ['link', 'set', LAN, 'up']);
  const machines: [string, string, string[]][] = [
    [CP_NS, 'paasi-cpv', ['10.99.0.2/16', '10.99.0.4/16']],
    [PEER_NS, 'paasi-pv', ['10.99.0.3/16']],
  ];
  for (const [ns, veth, addresses] of machines) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['link', 'set', veth, 'master', LAN, 'up']);
    for (const a of addresses) sh('ip', ['-n', ns, 'addr', 'add', a, 'dev', 'eth0']);
    for (const args of [['link', 'set', 'lo', 'up'], ['link', 'set', 'eth0', 'up'], ['route', 'add', 'default', 'via', '10.99.0.1']]) sh('ip', ['-n', ns, ...args]);
  }
  // The peer host's containers (as addresses of its own) and the route the nodes have to them.
  for (const a of ['10.99.200.5/32', '10.99.200.6/32']) sh('ip', ['-n', PEER_NS, 'addr', 'add', a, 'dev', 'lo']);
  sh('ip', ['route', 'add', '10.99.200.0/24', 'via', '10.99.0.3']);
}

function removeLan(): void {
  sh('ip', ['route', 'del', '10.99.200.0/24'], true);
  for (const ns of [CP_NS, PEER_NS]) sh('ip', ['netns', 'del', ns], true);
  sh('ip', ['link', 'del', 'paasi-cpv'], true);
  sh('ip', ['link', 'del', 'paasi-pv'], true);
  sh('ip', ['link', 'del', LAN], true);
}

describe('app isolation on the bridge', { skip: skipReason() }, () => {
  let setup: TestEngineSetup;
  let engine: EngineApi;
  const children: ChildProcess[] = [];
  /** Each container's address and network namespace. */
  const c: Record<'shop1' | 'shop2' | 'blog', { ip: string; netns: string }> = {} as never;
  let routerPort = 0;

  before(async () => {
    removeLan(); // what a run that died before its cleanup left
    routerPort = await freePort();
    setup = await testEngine(BRIDGE, '10.98.0.1/16', { routerPorts: [routerPort] });
    engine = await setup.open();
    makeLan();
    const stack = await engine.ensureStack();
    for (const [name, app] of [['shop1', 'shop'], ['shop2', 'shop'], ['blog', 'blog']] as const) {
      const id = `iso-${name}-${process.pid}`;
      await engine.create({ id, image: stack.ref, cmd: ['sleep', 'infinity'], network: 'bridge', labels: { [LABEL_APP]: app } });
      const info = await engine.start(id);
      const state = JSON.parse(readFileSync(join(setup.options.dataDir, 'containers', id, 'state.json'), 'utf8')) as { netns: string };
      c[name] = { ip: info.ip!, netns: state.netns };
      await listen(state.netns, children);
    }
    await engine.setIsolationPeers(PEERS);
    await listen(CP_NS, children);
    await listen(PEER_NS, children);
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    removeLan();
    await setup?.cleanup();
    const left = sh('iptables-save', [], true).split('\n').filter((l) => l.includes(BRIDGE) || l.includes('10.98.0.0/16'));
    assert.deepEqual(left, [], 'no rule or chain of the bridge is left');
  });

  test('containers of one app reach each other, with their own addresses', async () => {
    assert.equal(await probe(c.shop2.netns, c.shop1.ip), `connected ${c.shop2.ip}`);
    assert.equal(await probe(c.shop1.netns, c.shop2.ip), `connected ${c.shop1.ip}`);
  });

  test("a container of another app reaches none of the app's containers, nor they it", async () => {
    const [blogToShop1, blogToShop2, shopToBlog] = await Promise.all([
      probe(c.blog.netns, c.shop1.ip),
      probe(c.blog.netns, c.shop2.ip),
      probe(c.shop1.netns, c.blog.ip),
    ]);
    assert.deepEqual({ blogToShop1, blogToShop2, shopToBlog }, { blogToShop1: 'timeout', blogToShop2: 'timeout', shopToBlog: 'timeout' });
  });

  test("containers reach neither the host (bridge, loopback, its other interfaces) nor the control plane's nodes", async () => {
    // A service of the host itself, on every address of the root namespace.
    const server = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', () => resolve()));
    const hostPort = (server.address() as net.AddressInfo).port;
    try {
      const [bridge, loopback, otherInterface] = await Promise.all(['10.98.0.1', '127.0.0.1', '10.99.0.1'].map((t) => probe(c.blog.netns, t, { port: hostPort })));
      assert.deepEqual({ bridge, otherInterface }, { bridge: 'timeout', otherInterface: 'timeout' });
      assert.notEqual(loopback.split(' ')[0], 'connected', "the container's loopback is its own");
      const [controlPlane, otherHost] = await Promise.all(['10.99.0.2', '10.99.0.3'].map((t) => probe(c.blog.netns, t)));
      assert.deepEqual({ controlPlane, otherHost }, { controlPlane: 'timeout', otherHost: 'timeout' });
      // Positive control: an address that is no node (the internet, to a container) stays reachable (masqueraded, as to the internet).
      assert.equal(await probe(c.blog.netns, '10.99.0.4'), 'connected 10.99.0.1');
    } finally {
      server.close();
    }
  });

  test("containers reach the routers' port on every node and on this host (not at loopback), and no other port there", async () => {
    const router = SERVER.replace(`listen(${PORT}, `, `listen(${routerPort}, `);
    await listen(CP_NS, children, router);
    // A router on this host itself, on every address of the root namespace.
    const server = net.createServer((s) => s.end('router\n'));
    await new Promise<void>((resolve) => server.listen(routerPort, '0.0.0.0', () => resolve()));
    try {
      const at = (from: string | undefined, host: string, source?: string): Promise<string> => probe(from, host, { port: routerPort, from: source });
      const [controlPlane, hostBridge, hostLan, loopback] = await Promise.all([
        at(c.blog.netns, '10.99.0.2'),
        at(c.blog.netns, '10.98.0.1'),
        at(c.shop1.netns, '10.99.0.1'),
        at(c.blog.netns, '127.0.0.1'),
      ]);
      assert.deepEqual(
        { controlPlane, hostBridge, hostLan },
        { controlPlane: 'connected 10.99.0.1', hostBridge: 'connected router', hostLan: 'connected router' },
      );
      assert.notEqual(loopback.split(' ')[0], 'connected', "the container's loopback is its own");
      // Another host's container calls this host's router; this host's other ports stay closed to it.
      assert.equal(await at(PEER_NS, '10.99.0.1', '10.99.200.5'), 'connected router');
      assert.equal(await probe(c.blog.netns, '10.99.0.2'), 'timeout', 'the node at another port');
    } finally {
      server.close();
    }
  });

  test('no IPv6 on the bridge: a container has no link-local address, so an app listening on :: is not reachable by its neighbours', async () => {
    // What `server.listen(PORT)` does: every address, IPv6 included.
    await listen(c.shop1.netns, children, SERVER.replace(`listen(${PORT}, '0.0.0.0'`, `listen(${PORT + 1}, '::'`));
    for (const name of ['shop1', 'blog'] as const) {
      assert.equal(sh('ip', ['-n', c[name].netns, '-6', 'addr', 'show', 'dev', 'eth0']).trim(), '', `${name}'s eth0 has no IPv6 address`);
    }
    // shop1's link-local address as the kernel would have made it from its MAC (EUI-64).
    const mac = /link\/ether (\S+)/.exec(sh('ip', ['-n', c.shop1.netns, 'link', 'show', 'dev', 'eth0']))![1]!.split(':').map((h) => parseInt(h, 16));
    const eui = [mac[0]! ^ 2, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!];
    const linkLocal = `fe80::${[0, 2, 4, 6].map((i) => ((eui[i]! << 8) | eui[i + 1]!).toString(16)).join(':')}%eth0`;
    assert.notEqual((await probe(c.blog.netns, linkLocal, { port: PORT + 1 })).split(' ')[0], 'connected', `blog → ${linkLocal}`);
  });

  test('the host and the nodes (a router on another node) reach every container', async () => {
    for (const name of ['shop1', 'shop2', 'blog'] as const) {
      assert.equal(await probe(undefined, c[name].ip), 'connected 10.98.0.1', `host → ${name}`);
      assert.equal(await probe(CP_NS, c[name].ip, { from: '10.99.0.2' }), 'connected 10.99.0.2', `control-plane node → ${name}`);
    }
    // The non-node address on the same machine is not let in.
    assert.equal(await probe(CP_NS, c.blog.ip, { from: '10.99.0.4' }), 'timeout');
  });

  test("another host's container of the app reaches this host's, with its own address; one of another app does not", async () => {
    assert.equal(await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.5' }), 'connected 10.99.200.5');
    assert.equal(await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.6' }), 'timeout');
    assert.equal(await probe(PEER_NS, c.blog.ip, { from: '10.99.200.6' }), 'connected 10.99.200.6');
    // Outwards the source address survives too (no MASQUERADE to the other host's subnets).
    assert.equal(await probe(c.shop2.netns, '10.99.200.5'), `connected ${c.shop2.ip}`);
  });

  test("another host's containers do not reach this host itself, at any of its addresses; that host does", async () => {
    const server = net.createServer((s) => s.end('host service\n'));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const [bridge, lan] = await Promise.all(['10.98.0.1', '10.99.0.1'].map((t) => probe(PEER_NS, t, { port, from: '10.99.200.5' })));
      assert.deepEqual({ bridge, lan }, { bridge: 'timeout', lan: 'timeout' });
      assert.equal(await probe(PEER_NS, '10.99.0.1', { port, from: '10.99.0.3' }), 'connected host service');
    } finally {
      server.close();
    }
  });

  test('an established connection keeps working when the rules change; a new one then follows the new rules', async () => {
    const code = `const s = require('net').connect({ port: ${PORT}, host: '${c.shop1.ip}', localAddress: '10.99.200.5' });
      s.setEncoding('utf8'); s.on('data', (d) => process.stdout.write(d)); s.on('error', (e) => console.log('error ' + e.code));
      process.stdin.on('data', (d) => s.write(d));`;
    const client = spawn('ip', ['netns', 'exec', PEER_NS, process.execPath, '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(client);
    let out = '';
    client.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const said = async (text: string): Promise<void> => {
      for (let i = 0; i < 50 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes(text), `expected ${JSON.stringify(text)} in ${JSON.stringify(out)}`);
    };
    await said('10.99.200.5\n');
    // The other host forgets its shop container (e.g. it stopped): new connections from it are refused…
    await engine.setIsolationPeers({ ...PEERS, remote: { blog: ['10.99.200.6'] } });
    assert.equal(await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.5' }), 'timeout');
    // …the one already open still carries data both ways.
    client.stdin.write('still here\n');
    await said('still here\n');
    client.kill('SIGKILL');
    await engine.setIsolationPeers(PEERS);
  });

  test("through the agent: another host's heartbeat lets its container of the app in, the control plane option makes a node", async () => {
    await engine.setIsolationPeers(NO_PEERS);
    assert.equal(await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.5' }), 'timeout', 'unknown before any heartbeat');
    const port = await freePort();
    const nats = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    children.push(nats);
    const nc = await connect({ servers: `127.0.0.1:${port}`, waitOnFirstConnect: true, timeout: 10_000 });
    const agent = startAgent({ engine, nc, hostId: `iso-${process.pid}`, address: '10.98.0.1', controlPlane: ['10.99.0.2'], log: silentLogger, heartbeatMs: 60_000 });
    try {
      const beat: HostHeartbeat = {
        hostId: 'iso-peer',
        address: '10.99.0.3',
        subnet: '10.99.200.0/24',
        memoryBytes: 1,
        cpus: 1,
        runtime: 'runc',
        jobs: [{ id: 'peer-web-1', app: 'shop', release: 1, processType: 'web', hostId: 'iso-peer', state: 'up', ip: '10.99.200.5' }],
        at: new Date().toISOString(),
      };
      publish(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, beat);
      let reached = '';
      for (let i = 0; i < 20 && !reached.startsWith('connected'); i++) reached = await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.5' });
      assert.equal(reached, 'connected 10.99.200.5', "the peer's shop container reaches shop1");
      assert.equal(await probe(PEER_NS, c.shop1.ip, { from: '10.99.200.6' }), 'timeout', 'an address the heartbeat did not name stays out');
      assert.equal(await probe(CP_NS, c.blog.ip, { from: '10.99.0.2' }), 'connected 10.99.0.2', 'the control plane reaches containers');
      assert.equal(await probe(c.blog.netns, '10.99.0.3'), 'timeout', 'the heartbeating host is a node: containers do not reach it');
    } finally {
      await agent.stop();
      await nc.close();
    }
  });
});
