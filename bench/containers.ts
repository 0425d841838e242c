/**
 * Container start cost: a one-shot container through the engine (overlayfs over the
 * image's layers, network namespace, cgroup limits, state files) against raw runc
 * running the same program in a bundle over the same root filesystem, in the same
 * script. Reported as runs per second and their ratio.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEngine } from '../engine';
import { silentLogger } from '../shared';
import type { BenchResult } from './table';

const RUNS = 20;

function rawRuncPerSecond(rootfs: string, work: string): number {
  const bundle = path.join(work, 'bundle');
  fs.mkdirSync(bundle, { recursive: true });
  execFileSync('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
    root: { path: string; readonly: boolean };
    process: { args: string[]; terminal: boolean };
  };
  spec.root = { path: rootfs, readonly: true };
  spec.process.args = ['/bin/true'];
  spec.process.terminal = false;
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
  const root = path.join(work, 'runc-root');
  const start = process.hrtime.bigint();
  for (let i = 0; i < RUNS; i++) execFileSync('runc', ['--root', root, 'run', '--bundle', bundle, `bench-raw-${i}`], { stdio: 'ignore' });
  return RUNS / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchContainers(): Promise<BenchResult[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-'));
  try {
    const engine = await openEngine(
      { dataDir: path.join(work, 'engine'), runtime: 'runc', bridgeName: 'paasb0', bridgeCidr: '10.80.0.1/16', debianMirror: 'http://deb.debian.org/debian' },
      silentLogger,
    );
    const stack = await engine.ensureStack();
    const rootfs = path.join(work, 'rootfs');
    fs.mkdirSync(rootfs);
    execFileSync('tar', ['-x', '-f', path.join('/var/cache/paas', 'stack-bookworm.tar'), '-C', rootfs]);
    const raw = rawRuncPerSecond(rootfs, work);
    await engine.run({ id: 'bench-warm', image: stack.ref, cmd: ['/bin/true'], network: 'none' });
    const start = process.hrtime.bigint();
    for (let i = 0; i < RUNS; i++) await engine.run({ id: `bench-${i}`, image: stack.ref, cmd: ['/bin/true'], network: 'none' });
    const viaEngine = RUNS / (Number(process.hrtime.bigint() - start) / 1e9);
    const bridged = process.hrtime.bigint();
    for (let i = 0; i < RUNS; i++) await engine.run({ id: `bench-net-${i}`, image: stack.ref, cmd: ['/bin/true'], network: 'bridge' });
    const viaEngineBridge = RUNS / (Number(process.hrtime.bigint() - bridged) / 1e9);
    await engine.close();
    return [
      { name: 'engine: one-shot containers/s (no network)', value: viaEngine, unit: 'runs/s', baseline: raw, baselineName: 'raw runc run' },
      { name: 'engine: one-shot containers/s (bridge + veth)', value: viaEngineBridge, unit: 'runs/s', baseline: raw, baselineName: 'raw runc run' },
    ];
  } finally {
    try {
      execFileSync('ip', ['link', 'del', 'paasb0'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}
