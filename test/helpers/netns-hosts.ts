/**
 * Several paas hosts on one machine, each in its own network namespace with its own
 * address, as separate machines on one LAN would be (issue #6, T14):
 *
 *   root ns: bridge paasnet0 10.86.0.1/24 ── veth paasv<i> ── netns paasn<i>: uplink 10.86.0.1<i>
 *            route 10.87.<i>.0/24 via 10.86.0.1<i>          `paas host`, its bridge paasnb<i> 10.87.<i>.1/24
 *
 * Routed container subnets: every host owns a /24 for its containers and the other
 * nodes route it to the host's address, so the router (in the root namespace) reaches
 * any container at its own IP, without NAT or published ports. The host's netfilter
 * rules (the engine's INPUT DROP for traffic from its bridge) live in its namespace,
 * as they would on a machine of its own.
 *
 * `paas host` is started with `nsenter --net` rather than `ip netns exec`: the latter
 * also gives the process a mount namespace of its own, which would hide the host's
 * overlay mounts and its containers' netns mounts from the root namespace (and from a
 * restarted host process, and from this teardown).
 *
 * NATS for the cluster is a nats-server listening on 10.86.0.1 only, on a free port,
 * or (`natsServers: 3`) a cluster of three (nats-cluster.ts) on that address, each on
 * its own port, that the test can stop and start one at a time; NATS_URL names all three.
 * The namespaces and NATS come up at start; each `paas host` when the test says
 * (it needs the control plane's registry token first).
 *
 * The names, subnets and base dir above are the defaults (the multihost test's); a test
 * or benchmark running at the same time as it passes its own (`layout`). `routes: false`
 * leaves the routes to paas itself; `joinHost` runs `paas host:join` instead of `paas host`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNatsCluster, type NatsCluster } from './nats-cluster';
import { freePort } from './ports';
import { removalScript } from '../../engine/isolation-rules';
import { ROOT, sleep } from './paas';

/** The default layout's (DEFAULT_LAYOUT below): the LAN, and the control plane's own engine bridge (it builds, in the root namespace), next to the hosts' subnets. */
export const LAN_BRIDGE = 'paasnet0';
export const LAN_GATEWAY = '10.86.0.1';
export const CONTROL_BRIDGE = 'paasnb0';
export const CONTROL_BRIDGE_CIDR = '10.87.0.1/24';
const BIN = path.join(ROOT, 'bin', 'paas');

export interface NetnsHost {
  index: number;
  id: string;
  netns: string;
  /** The root-namespace end of the host's uplink (down = the host is cut off). */
  rootVeth: string;
  address: string;
  subnet: string;
  dataDir: string;
  output(): string;
  running(): boolean;
}

export interface NetnsCluster {
  /** One URL, or the three servers' comma-separated (natsServers: 3). */
  natsUrl: string;
  /** The three nats-servers, to stop and start one (natsServers: 3). */
  nats?: NatsCluster;
  /** The root namespace's address on the LAN (NATS listens there; other nodes reach the control plane there). */
  lanGateway: string;
  /** The control plane's engine bridge and its address (it builds, in the root namespace). */
  controlBridge: string;
  controlBridgeCidr: string;
  hosts: NetnsHost[];
  /** Starts (or restarts, with the same data dir and environment) `paas host` in host i's namespace. */
  startHost(index: number, env?: Record<string, string>): Promise<void>;
  /**
   * Hard stop: the uplink goes down and every process in the host's namespace (the
   * `paas host` process, conmon) gets SIGKILL. The containers (their own namespaces)
   * are killed too unless `keepContainers`: then they run on, unreachable, as on a host
   * cut off by the network, and a restarted `paas host` finds them running (duplicates).
   */
  killHost(index: number, options?: { keepContainers?: boolean }): Promise<void>;
  /**
   * Runs `paas host:join <argv...> --start` in host i's namespace, as an operator would
   * on a new machine, with a config file of its own (<data dir>.env, holding only
   * PAAS_DATA_DIR and PAAS_BRIDGE_NAME before the join); resolves once the host is up.
   */
  joinHost(index: number, argv: string[]): Promise<void>;
  /** A clean stop of `paas host` (SIGTERM, as systemd stops it): resolves when the process has exited; its containers run on. */
  stopHost(index: number): Promise<void>;
  teardown(): Promise<void>;
}

/** Names and addresses of one cluster; defaults: the multihost test's (paasnet0, 10.86.0.0/24, paasn<i>, 10.87.<i>.0/24). */
export interface NetnsLayout {
  /** The LAN bridge in the root namespace. */
  lanBridge: string;
  /** The LAN's /24 without its last octet: the root namespace is .1, host i is .1<i>. */
  lanPrefix: string;
  netnsPrefix: string;
  vethPrefix: string;
  /** Host i's engine bridge is <prefix><i>, the control plane's <prefix>0. */
  bridgePrefix: string;
  /** The first two octets of the container subnets: host i has <prefix>.<i>.0/24, the control plane <prefix>.0.0/24. */
  subnetPrefix: string;
  hostIdPrefix: string;
  /** One fixed place, so that a run that died before its teardown is cleaned up by the next. */
  baseDir: string;
}

export const DEFAULT_LAYOUT: NetnsLayout = {
  lanBridge: 'paasnet0',
  lanPrefix: '10.86.0',
  netnsPrefix: 'paasn',
  vethPrefix: 'paasv',
  bridgePrefix: 'paasnb',
  subnetPrefix: '10.87',
  hostIdPrefix: 'nshost',
  baseDir: path.join(os.tmpdir(), 'paas-netns-cluster'),
};

export interface ClusterOptions {
  hosts: number;
  layout?: Partial<NetnsLayout>;
  /** false: no hand-made routes to the hosts' subnets (paas keeps them itself, daemon/container-routes.ts). */
  routes?: boolean;
  /** 1 (default): one nats-server; 3: a cluster of three nats-servers (JetStream replicated). */
  natsServers?: 1 | 3;
}

function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
  return r.stdout ?? '';
}

const namesOf = (l: NetnsLayout) => (i: number) => ({
  id: `${l.hostIdPrefix}-${i}`,
  netns: `${l.netnsPrefix}${i}`,
  rootVeth: `${l.vethPrefix}${i}`,
  address: `${l.lanPrefix}.1${i}`,
  subnet: `${l.subnetPrefix}.${i}.0/24`,
  bridge: `${l.bridgePrefix}${i}`,
  bridgeCidr: `${l.subnetPrefix}.${i}.1/24`,
});

function netnsPids(netns: string): number[] {
  return run('ip', ['netns', 'pids', netns], true)
    .split('\n')
    .filter((p) => /^\d+$/.test(p.trim()))
    .map(Number);
}

/** Every pid of a host: those in its namespace (the host process, conmon) and in its containers' namespaces. */
function hostPids(netns: string, dataDir: string | undefined): number[] {
  const pids = new Set<number>(netnsPids(netns));
  const containers = dataDir ? path.join(dataDir, 'engine', 'containers') : undefined;
  if (containers && fs.existsSync(containers)) {
    // By namespace, never by pid file: a stale pid may belong to someone else by now.
    for (const id of fs.readdirSync(containers)) {
      const netnsName = containerNetns(containers, id);
      if (netnsName) for (const pid of netnsPids(netnsName)) pids.add(pid);
    }
  }
  return [...pids];
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function containerNetns(containersDir: string, id: string): string | undefined {
  try {
    return (JSON.parse(readOr(path.join(containersDir, id, 'state.json'))) as { netns?: string }).netns;
  } catch {
    return undefined;
  }
}

/**
 * Processes in the root namespace that a run which died before its teardown left: its
 * nats-servers (their store) and `paas node`s (their PAAS_DATA_DIR) under the base dir.
 */
function stalePids(base: string): number[] {
  const under = (p: string): boolean => p.startsWith(`${base}/`);
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    const argv = readOr(`/proc/${pid}/cmdline`).split('\0');
    if (argv[0]?.endsWith('nats-server')) return argv.some(under);
    return readOr(`/proc/${pid}/environ`).split('\0').some((e) => e.startsWith('PAAS_DATA_DIR=') && under(e.slice('PAAS_DATA_DIR='.length)));
  });
}

/** Layers and anything else mounted under a directory, deepest first. */
function unmountUnder(dir: string): void {
  for (const line of readOr('/proc/self/mounts').split('\n').reverse()) {
    const target = line.split(' ')[1];
    if (target?.startsWith(dir + '/')) run('umount', ['-l', target], true);
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** What a host leaves behind once its processes are dead: runtime state, cgroups, mounts, namespaces. */
function removeHostLeftovers(netns: string, dataDir: string): void {
  const containers = path.join(dataDir, 'engine', 'containers');
  if (fs.existsSync(containers)) {
    for (const id of fs.readdirSync(containers)) {
      run('runc', ['--root', path.join(dataDir, 'engine', 'runtime'), 'delete', '-f', id], true);
      run('umount', ['-l', path.join(containers, id, 'rootfs')], true);
      const n = containerNetns(containers, id);
      if (n) run('ip', ['netns', 'del', n], true);
    }
  }
  unmountUnder(dataDir);
  run('ip', ['netns', 'del', netns], true);
}

/** A root-namespace engine bridge and the engine's iptables rules naming it or its subnet. */
export function removeRootBridge(name: string, subnet: string): void {
  // The isolation chains and their jumps (a jump names only the chain: `-A INPUT -j PAAS-ISI-<bridge>`).
  const isolation = removalScript(run('iptables-save', [], true), name, subnet);
  if (isolation) spawnSync('iptables-restore', ['-w', '--noflush'], { input: isolation });
  let table = '';
  for (const line of run('iptables-save', [], true).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') && (line.includes(` ${name} `) || line.endsWith(` ${name}`) || line.includes(subnet))) {
      run('iptables', ['-w', '-t', table, '-D', ...line.slice(3).split(' ')], true);
    }
  }
  run('ip', ['link', 'del', name], true);
}

export async function startNetnsCluster(options: ClusterOptions): Promise<NetnsCluster> {
  if (process.getuid?.() !== 0) throw new Error('netns hosts need root');
  const layout = { ...DEFAULT_LAYOUT, ...options.layout };
  const hostNames = namesOf(layout);
  const base = layout.baseDir;
  const lanBridge = layout.lanBridge;
  const lanGateway = `${layout.lanPrefix}.1`;
  const controlBridge = `${layout.bridgePrefix}0`;
  const controlSubnet = `${layout.subnetPrefix}.0.0/24`;
  const procs = new Map<number, { child: ChildProcess; out: string }>();
  let nats: ChildProcess | undefined;
  let natsCluster: NatsCluster | undefined;

  for (let i = 1; i <= options.hosts; i++) {
    const n = hostNames(i);
    killAll(hostPids(n.netns, path.join(base, `host${i}`)));
  }
  killAll(stalePids(base));
  await sleep(200);
  for (let i = 1; i <= options.hosts; i++) removeHostLeftovers(hostNames(i).netns, path.join(base, `host${i}`));
  unmountUnder(base); // a control node's, when the test ran one under the base dir
  run('ip', ['link', 'del', lanBridge], true);
  removeRootBridge(controlBridge, controlSubnet);
  fs.rmSync(base, { recursive: true, force: true });
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });

  const teardown = async (): Promise<void> => {
    for (const [i, p] of procs) {
      const n = hostNames(i);
      killAll(hostPids(n.netns, path.join(base, `host${i}`)));
      p.child.kill('SIGKILL');
    }
    await sleep(300);
    for (let i = 1; i <= options.hosts; i++) removeHostLeftovers(hostNames(i).netns, path.join(base, `host${i}`));
    nats?.kill('SIGKILL');
    await natsCluster?.stop();
    unmountUnder(base);
    run('ip', ['link', 'del', lanBridge], true); // its routes go with it
    removeRootBridge(controlBridge, controlSubnet);
    fs.rmSync(base, { recursive: true, force: true });
  };

  try {
    run('ip', ['link', 'add', lanBridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${lanGateway}/24`, 'dev', lanBridge]);
    run('ip', ['link', 'set', lanBridge, 'up']);
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1\n');
    for (let i = 1; i <= options.hosts; i++) {
      const n = hostNames(i);
      run('ip', ['netns', 'add', n.netns]);
      run('ip', ['link', 'add', n.rootVeth, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', n.netns]);
      run('ip', ['link', 'set', n.rootVeth, 'master', lanBridge, 'up']);
      for (const args of [['link', 'set', 'lo', 'up'], ['addr', 'add', `${n.address}/24`, 'dev', 'uplink'], ['link', 'set', 'uplink', 'up'], ['route', 'add', 'default', 'via', lanGateway]]) {
        run('ip', ['-n', n.netns, ...args]);
      }
      if (options.routes !== false) run('ip', ['route', 'add', n.subnet, 'via', n.address]);
    }

    let natsUrl: string;
    if (options.natsServers === 3) {
      natsCluster = await startNatsCluster(3, { address: lanGateway, dir: path.join(base, 'nats') });
      natsUrl = natsCluster.url;
    } else {
      const natsPort = await freePort();
      nats = spawn('nats-server', ['-a', lanGateway, '-p', String(natsPort), '-js', '-sd', path.join(base, 'nats')], { stdio: 'ignore' });
      natsUrl = `nats://${lanGateway}:${natsPort}`;
      for (let i = 0; i < 50 && run('ss', ['-ltnH', `sport = :${natsPort}`], true).trim() === ''; i++) await sleep(100);
    }

    const hosts: NetnsHost[] = [];
    for (let i = 1; i <= options.hosts; i++) {
      const n = hostNames(i);
      const dataDir = path.join(base, `host${i}`);
      hosts.push({
        index: i,
        id: n.id,
        netns: n.netns,
        rootVeth: n.rootVeth,
        address: n.address,
        subnet: n.subnet,
        dataDir,
        output: () => procs.get(i)?.out ?? '',
        running: () => {
          const c = procs.get(i)?.child;
          return !!c && c.exitCode === null && c.signalCode === null;
        },
      });
    }

    const envOf = new Map<number, Record<string, string>>();
    const startHost = async (i: number, env?: Record<string, string>): Promise<void> => {
      const n = hostNames(i);
      if (env) envOf.set(i, env);
      await spawnHost(i, ['host'], {
        ...process.env,
        ...envOf.get(i),
        NATS_URL: natsUrl,
        PAAS_DATA_DIR: path.join(base, `host${i}`),
        PAAS_HOST_ID: n.id,
        PAAS_HOST_ADDRESS: n.address,
        PAAS_BRIDGE_NAME: n.bridge,
        PAAS_BRIDGE_CIDR: n.bridgeCidr,
      });
    };

    const joinHost = async (i: number, argv: string[]): Promise<void> => {
      const n = hostNames(i);
      const dataDir = path.join(base, `host${i}`);
      const configFile = `${dataDir}.env`;
      if (!fs.existsSync(configFile)) fs.writeFileSync(configFile, `PAAS_DATA_DIR=${dataDir}\nPAAS_BRIDGE_NAME=${n.bridge}\n`, { mode: 0o600 });
      // Only what a fresh machine has: the test's own PAAS_* and NATS settings would override the file.
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PAAS_') && k !== 'NATS_URL'));
      await spawnHost(i, [...argv, '--start'], { ...env, PAAS_CONFIG_FILE: configFile });
    };

    const spawnHost = async (i: number, argv: string[], env: NodeJS.ProcessEnv): Promise<void> => {
      const n = hostNames(i);
      run('ip', ['link', 'set', n.rootVeth, 'up']);
      const child = spawn('nsenter', [`--net=/run/netns/${n.netns}`, '--', process.execPath, BIN, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const p = { child, out: '' };
      procs.set(i, p);
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (p.out += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (p.out += d));
      const deadline = Date.now() + 60_000;
      while (!p.out.includes(`paas host ${n.id} is up`)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`paas host ${n.id} did not start:\n${p.out.slice(-4000)}`);
        await sleep(100);
      }
    };

    const killHost = async (i: number, killOptions: { keepContainers?: boolean } = {}): Promise<void> => {
      const n = hostNames(i);
      run('ip', ['link', 'set', n.rootVeth, 'down']);
      killAll(killOptions.keepContainers ? netnsPids(n.netns) : hostPids(n.netns, path.join(base, `host${i}`)));
      procs.get(i)?.child.kill('SIGKILL');
      await sleep(100);
    };

    const stopHost = async (i: number): Promise<void> => {
      const child = procs.get(i)?.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    };

    return { natsUrl, nats: natsCluster, lanGateway, controlBridge, controlBridgeCidr: `${layout.subnetPrefix}.0.1/24`, hosts, startHost, joinHost, killHost, stopHost, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}
