/**
 * Container start latency and density: the engine against raw runc on an equivalent
 * bundle (the engine's own config.json: same namespaces, seccomp, cgroup limits; same
 * overlayfs root; same network setup), in the same process.
 *
 * - start → running: engine create()+start() against mount + network + `runc run -d`.
 * - start → first byte: the same, until a tiny server in the container (perl, in the
 *   stack image) answers on its TCP port over the bridge.
 * - one-shot runs/s: engine run() against foreground `runc run`.
 * - idle density: host memory per idle `sleep` container (MemAvailable drop) beyond the
 *   container's own process, against raw `runc run -d` (no monitor at all).
 * Teardown is never timed. Where the engine's start time goes is printed from its
 * per-step timings (debug log 'container started').
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openEngine, STACK_REF, type ContainerSpec, type EngineApi } from '../engine';
import { silentLogger, type Logger } from '../shared';
import type { BenchResult } from './table';

const RUNS = Number(process.env.PAAS_BENCH_RUNS ?? 20);
const IDLE = Number(process.env.PAAS_BENCH_IDLE ?? 50);
const BRIDGE = 'paasb0';
const CIDR = '10.80.0.1/16';
const PORT = 8080;
const SERVER = ['perl', '-MIO::Socket::INET', '-e', `$s=IO::Socket::INET->new(LocalPort=>${PORT},Listen=>9,ReuseAddr=>1) or die; while($c=$s->accept){print $c "hi\\n"; close $c}`];

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Runs a tool; `quiet` gives it no pipes at all (a detached container would hold them open). */
const run = (cmd: string, args: string[], input?: string, quiet = false): void => {
  const r = spawnSync(cmd, args, { input, stdio: quiet ? 'ignore' : [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status} ${r.stderr?.toString() ?? ''}`);
};

/** Resolves when host:port answers with a first byte. */
async function firstByte(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('data', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
      s.setTimeout(500, () => (s.destroy(), resolve(false)));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no answer from ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function memAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return Number(m![1]) * 1024;
}

function pss(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** Raw runc with the engine's bundle: overlay, netns (+ veth on the bridge), runc run -d. */
class RawRunc {
  private n = 0;
  readonly root: string;
  constructor(
    private readonly work: string,
    private readonly template: Record<string, unknown>,
    private readonly lower: string,
  ) {
    this.root = path.join(work, 'raw-runc');
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** Start one container; returns its id and address (bridge) and how long it took. */
  start(args: string[], bridge: boolean, detach = true): { id: string; ip?: string; ms: number } {
    const i = this.n++;
    const id = `raw-${process.pid}-${i}`;
    const dir = path.join(this.work, 'raw', id);
    const ns = `pbr${process.pid % 10000}x${i}`;
    const ip = `10.80.200.${(i % 250) + 2}`;
    fs.mkdirSync(dir, { recursive: true });
    const t0 = now();
    for (const d of ['upper', 'work', 'rootfs']) fs.mkdirSync(path.join(dir, d));
    run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${this.lower},upperdir=${dir}/upper,workdir=${dir}/work`, `${dir}/rootfs`]);
    if (bridge) {
      run('ip', ['-batch', '-'], `netns add ${ns}\nlink add v${ns} type veth peer name eth0 netns ${ns}\nlink set dev v${ns} master ${BRIDGE} up\n`);
      run('ip', ['-n', ns, '-batch', '-'], `link set lo up\naddr add ${ip}/16 dev eth0\nlink set eth0 up\nroute add default via 10.80.0.1\n`);
    } else {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const spec = structuredClone(this.template) as { root: { path: string }; process: { args: string[] }; linux: { cgroupsPath: string; namespaces: { type: string; path?: string }[] } };
    spec.root.path = `${dir}/rootfs`;
    spec.process.args = args;
    spec.linux.cgroupsPath = `/paasbench/${id}`;
    spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${ns}` } : n));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    run('runc', ['--root', this.root, 'run', ...(detach ? ['--detach'] : []), '--bundle', dir, id], undefined, true);
    return bridge ? { id, ip, ms: now() - t0 } : { id, ms: now() - t0 };
  }

  /** A prepared bundle (mounted, netns) for running by hand; its container is not started. */
  bundleFor(args: string[]): string {
    const { id } = this.start(['true'], false, false);
    const dir = path.join(this.work, 'raw', id);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { process: { args: string[] }; linux: { cgroupsPath: string } };
    spec.process.args = args;
    spec.linux.cgroupsPath = `/paasbench/${id}-again`;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    return dir;
  }

  /** A one-shot: the same setup, then a foreground `runc run` that returns when the process exits. */
  once(args: string[]): void {
    this.start(args, false, false);
  }

  stop(id: string): void {
    spawnSync('runc', ['--root', this.root, 'delete', '--force', id]);
  }

  cleanup(): void {
    for (const line of execFileSync('runc', ['--root', this.root, 'list', '-q']).toString().split('\n').filter(Boolean)) this.stop(line);
    for (const id of fs.existsSync(path.join(this.work, 'raw')) ? fs.readdirSync(path.join(this.work, 'raw')) : []) {
      spawnSync('umount', ['--lazy', path.join(this.work, 'raw', id, 'rootfs')]);
    }
    for (const ns of fs.readdirSync('/run/netns').filter((n) => n.startsWith(`pbr${process.pid % 10000}x`))) {
      spawnSync('ip', ['link', 'del', `v${ns}`]);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }
}

function timingLogger(into: Record<string, number>[]): Logger {
  return { ...silentLogger, debug: (msg, f) => void (msg === 'container started' && f && into.push(f.ms as Record<string, number>)) };
}

async function engineStart(engine: EngineApi, spec: ContainerSpec, serve: boolean): Promise<number> {
  const t0 = now();
  const c = await engine.create(spec);
  await engine.start(spec.id);
  if (serve) await firstByte(c.ip!, PORT);
  return now() - t0;
}

export async function benchContainers(): Promise<BenchResult[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-'));
  const marks: Record<string, number>[] = [];
  let raw: RawRunc | undefined;
  let engine: EngineApi | undefined;
  try {
    engine = await openEngine(
      { dataDir: path.join(work, 'engine'), runtime: 'runc', bridgeName: BRIDGE, bridgeCidr: CIDR, debianMirror: 'http://deb.debian.org/debian' },
      timingLogger(marks),
    );
    const e = engine;
    const stack = await e.ensureStack();
    await e.create({ id: 'bench-template', image: stack.ref, cmd: ['true'] });
    const template = JSON.parse(fs.readFileSync(path.join(work, 'engine/containers/bench-template/config.json'), 'utf8')) as Record<string, unknown>;
    const lower = path.join(work, 'engine/images/layers', stack.layers[0]!.replace('sha256:', ''));
    raw = new RawRunc(work, template, lower);
    const results: BenchResult[] = [];
    const ids: string[] = [];
    const latency = async (name: string, network: 'none' | 'bridge', serve: boolean): Promise<void> => {
      const args = serve ? SERVER : ['sleep', '600'];
      const engineMs: number[] = [];
      const rawMs: number[] = [];
      for (let i = 0; i < RUNS + 2; i++) {
        const id = `bench-${network}-${serve ? 'srv' : 'idle'}-${i}`;
        const ms = await engineStart(e, { id, image: STACK_REF, cmd: args, network }, serve);
        const r = raw!.start(args, network === 'bridge');
        let rms = r.ms;
        if (serve) {
          const t0 = now();
          await firstByte(r.ip!, PORT);
          rms += now() - t0;
        }
        if (i >= 2) {
          // two warm-up rounds first
          engineMs.push(ms);
          rawMs.push(rms);
        }
        ids.push(id);
        raw!.stop(r.id);
        await e.remove(id);
      }
      results.push({ name: `${name} (median ms, lower is better)`, value: median(engineMs), unit: 'ms', baseline: median(rawMs), baselineName: 'raw runc run -d' });
    };
    await latency('start → running, network none', 'none', false);
    marks.length = 0;
    await latency('start → running, bridge + veth', 'bridge', false);
    const breakdown = stepMedians(marks);
    await latency('start → first byte on a TCP port, bridge', 'bridge', true);

    const onceT0 = now();
    for (let i = 0; i < RUNS; i++) await e.run({ id: `bench-once-${i}`, image: STACK_REF, cmd: ['true'], network: 'none' });
    const engineRuns = RUNS / ((now() - onceT0) / 1000);
    const rawT0 = now();
    for (let i = 0; i < RUNS; i++) raw.once(['true']);
    const rawRuns = RUNS / ((now() - rawT0) / 1000);
    results.push({ name: 'one-shot containers/s (network none)', value: engineRuns, unit: 'runs/s', baseline: rawRuns, baselineName: 'raw runc run' });

    const d = await idleDensity(e, raw);
    results.push({ name: `idle container: kernel memory growth (${IDLE} sleeps)`, value: d.engineKernel / 1024, unit: 'KiB', baseline: d.rawKernel / 1024, baselineName: 'raw runc run -d' });
    results.push({ name: 'idle container: monitor PSS (conmon)', value: d.monitorPss / 1024, unit: 'KiB', baseline: d.foregroundRuncPss / 1024, baselineName: 'foreground runc run (old shim)' });
    const perContainer = d.monitorPss + Math.max(0, d.engineKernel) + d.sleepPss;
    console.log(`${IDLE} idle containers started one after another in ${d.startSeconds.toFixed(1)} s; each costs ~${(perContainer / 1024).toFixed(0)} KiB ` +
      `(conmon ${(d.monitorPss / 1024).toFixed(0)}, kernel ${(d.engineKernel / 1024).toFixed(0)}, its sleep ${(d.sleepPss / 1024).toFixed(0)}): ` +
      `~${Math.floor(memAvailable() / perContainer)} fit in this host's available memory (before pids, addresses and the app's own use).`);
    console.log('engine start, median ms per step (from the start call; overlay, network and log files run in parallel):');
    console.log(`  ${Object.entries(breakdown).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    return results;
  } finally {
    raw?.cleanup();
    if (engine) {
      for (const c of await engine.list()) await engine.remove(c.id).catch(() => undefined);
      await engine.close();
    }
    spawnSync('ip', ['link', 'del', BRIDGE]);
    // The bridge's NAT and forward rules (every copy of each).
    for (const table of ['nat', 'filter']) {
      const rules = execFileSync('iptables', ['-w', '-t', table, '-S']).toString().split('\n');
      for (const rule of rules.filter((r) => r.startsWith('-A ') && (r.includes(' 10.80.0.0/16 ') || r.includes(` ${BRIDGE} `) || r.endsWith(` ${BRIDGE}`)))) {
        spawnSync('sh', ['-c', `iptables -w -t ${table} ${rule.replace(/^-A /, '-D ')}`]);
      }
    }
    for (const d of ['cpu', 'cpuacct', 'memory', 'pids', 'devices', 'freezer', 'blkio', 'cpuset', 'systemd', 'unified', 'net_cls', 'perf_event', 'hugetlb', 'net_prio', 'rdma', 'misc']) {
      spawnSync('sh', ['-c', `find /sys/fs/cgroup/${d}/paasbench -depth -type d -exec rmdir {} + 2>/dev/null`]);
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function stepMedians(marks: Record<string, number>[]): Record<string, number> {
  const keys = new Set(marks.flatMap((m) => Object.keys(m)));
  return Object.fromEntries([...keys].map((k) => [k, median(marks.map((m) => m[k]).filter((v): v is number => v !== undefined))]));
}

/** Kernel memory that grows with containers: slab (namespaces, mounts, cgroups, veths), stacks, page tables. */
function kernelMem(): number {
  const info = fs.readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0);
  return (kb('Slab') + kb('KernelStack') + kb('PageTables')) * 1024;
}

interface Density {
  engineKernel: number;
  rawKernel: number;
  monitorPss: number;
  foregroundRuncPss: number;
  sleepPss: number;
  startSeconds: number;
}

/** Per idle container (`sleep`): kernel memory and the monitor's PSS, against raw runc and the old shim design. */
async function idleDensity(e: EngineApi, raw: RawRunc): Promise<Density> {
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));
  const sleepPids: number[] = [];
  await settle();
  let before = kernelMem();
  const t0 = now();
  for (let i = 0; i < IDLE; i++) {
    await e.create({ id: `bench-idle-${i}`, image: STACK_REF, cmd: ['sleep', '600'] });
    sleepPids.push((await e.start(`bench-idle-${i}`)).pid!);
  }
  const startSeconds = (now() - t0) / 1000;
  await settle();
  const engineKernel = (kernelMem() - before) / IDLE;
  const sleepPss = median(sleepPids.map(pss));
  const monitors = execFileSync('pgrep', ['-f', 'conmon --api-version 1 -c bench-idle-']).toString().trim().split('\n').map(Number);
  const monitorPss = median(monitors.map(pss));
  for (let i = 0; i < IDLE; i++) await e.remove(`bench-idle-${i}`);
  await settle();
  before = kernelMem();
  const rawIds: string[] = [];
  for (let i = 0; i < IDLE; i++) rawIds.push(raw.start(['sleep', '600'], true).id);
  await settle();
  const rawKernel = (kernelMem() - before) / IDLE;
  for (const id of rawIds) raw.stop(id);
  // The previous design kept `runc run` in the foreground per container: its PSS.
  const fg = spawn('runc', ['--root', raw.root, 'run', '--bundle', raw.bundleFor(['sleep', '600']), `fg-${process.pid}`], { stdio: 'ignore' });
  await settle();
  const foregroundRuncPss = fg.pid ? pss(fg.pid) : 0;
  raw.stop(`fg-${process.pid}`);
  return { engineKernel, rawKernel, monitorPss, foregroundRuncPss, sleepPss, startSeconds };
}
