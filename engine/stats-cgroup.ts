/**
 * stats(): a running container's memory, CPU time and process count, read straight from
 * its cgroup files (no runtime process spawned). cgroup v1 and hybrid hosts keep each
 * controller in its own hierarchy (/sys/fs/cgroup/<controller>/paas/<id>/…); v2 has one
 * directory per cgroup (/sys/fs/cgroup/paas/<id>/…) with other file names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerStats } from './types';
import type { CgroupVersion } from './lifecycle-limits';
import { exists } from './fs-util';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** v2 when the root is the unified hierarchy (it lists its controllers). */
export async function detectCgroupVersion(root = CGROUP_ROOT): Promise<CgroupVersion> {
  return (await exists(join(root, 'cgroup.controllers'))) ? 2 : 1;
}

export interface StatsFiles {
  memoryUsage: string;
  memoryStat: string;
  memoryLimit: string;
  cpu: string;
  pids: string;
}

export function statsFiles(version: CgroupVersion, cgroupPath: string, root = CGROUP_ROOT): StatsFiles {
  const rel = cgroupPath.replace(/^\/+/, '');
  if (version === 2) {
    const dir = join(root, rel);
    return {
      memoryUsage: join(dir, 'memory.current'),
      memoryStat: join(dir, 'memory.stat'),
      memoryLimit: join(dir, 'memory.max'),
      cpu: join(dir, 'cpu.stat'),
      pids: join(dir, 'pids.current'),
    };
  }
  return {
    memoryUsage: join(root, 'memory', rel, 'memory.usage_in_bytes'),
    memoryStat: join(root, 'memory', rel, 'memory.stat'),
    memoryLimit: join(root, 'memory', rel, 'memory.limit_in_bytes'),
    cpu: join(root, 'cpuacct', rel, 'cpuacct.usage'),
    pids: join(root, 'pids', rel, 'pids.current'),
  };
}

function statField(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** v1 reports "no limit" as a page-rounded 2^63-1; v2 as "max". */
const UNLIMITED_V1 = 2 ** 62;

/** Pure: the stats from the files' contents. */
export function parseStats(version: CgroupVersion, f: StatsFiles, hostMemoryBytes: number, at = new Date()): ContainerStats {
  const usage = Number(f.memoryUsage.trim());
  // Page cache the kernel can drop is not the container's "use" (Docker and cAdvisor agree).
  const inactiveFile = statField(f.memoryStat, version === 2 ? 'inactive_file' : 'total_inactive_file') ?? 0;
  const limitText = f.memoryLimit.trim();
  const limit = limitText === 'max' || Number(limitText) >= UNLIMITED_V1 ? hostMemoryBytes : Math.min(Number(limitText), hostMemoryBytes);
  const cpuNanos = version === 2 ? (statField(f.cpu, 'usage_usec') ?? 0) * 1000 : Number(f.cpu.trim());
  return {
    memoryBytes: Math.max(0, usage - Math.min(inactiveFile, usage)),
    memoryLimitBytes: limit,
    cpuNanos,
    pids: Number(f.pids.trim()),
    at: at.toISOString(),
  };
}

export async function readStats(version: CgroupVersion, cgroupPath: string, hostMemoryBytes: number, root = CGROUP_ROOT): Promise<ContainerStats> {
  const files = statsFiles(version, cgroupPath, root);
  const [memoryUsage, memoryStat, memoryLimit, cpu, pids] = await Promise.all(
    [files.memoryUsage, files.memoryStat, files.memoryLimit, files.cpu, files.pids].map((p) => readFile(p, 'utf8')),
  );
  return parseStats(version, { memoryUsage: memoryUsage!, memoryStat: memoryStat!, memoryLimit: memoryLimit!, cpu: cpu!, pids: pids! }, hostMemoryBytes);
}
