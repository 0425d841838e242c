/**
 * CPU limits as OCI resources, per cgroup version. On v1 (and hybrid hosts, whose
 * controllers are v1) the spec's cpu.shares/quota/period map to the cpu controller's
 * files. On v2 they are written as the v2 files themselves (`unified`): cpu.weight
 * (shares converted with the runtimes' formula) and cpu.max ("quota period"), so what
 * the container gets does not depend on a runtime's translation. Pure: no I/O here.
 */
import { InvalidInputError } from '../shared';
import type { CpuLimits } from './types';

export type CgroupVersion = 1 | 2;

export const DEFAULT_CPU_PERIOD_MICROS = 100_000;

/** runc's and crun's conversion of cpu.shares (2–262144) to cpu.weight (1–10000). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

function checkedCpu(cpu: CpuLimits): { shares?: number; quota?: number; period: number } {
  const period = cpu.periodMicros ?? DEFAULT_CPU_PERIOD_MICROS;
  if (!Number.isInteger(period) || period < 1000 || period > 1_000_000) throw new InvalidInputError(`cpu period must be 1000–1000000 µs: ${period}`);
  if (cpu.shares !== undefined && (!Number.isInteger(cpu.shares) || cpu.shares < 2 || cpu.shares > 262_144)) {
    throw new InvalidInputError(`cpu shares must be an integer 2–262144: ${cpu.shares}`);
  }
  if (cpu.cpus !== undefined && !(cpu.cpus > 0)) throw new InvalidInputError(`cpus must be more than 0: ${cpu.cpus}`);
  const quota = cpu.quotaMicros ?? (cpu.cpus !== undefined ? Math.round(cpu.cpus * period) : undefined);
  if (quota !== undefined && (!Number.isInteger(quota) || quota < 1000)) throw new InvalidInputError(`cpu quota must be at least 1000 µs: ${quota}`);
  const out: { shares?: number; quota?: number; period: number } = { period };
  if (cpu.shares !== undefined) out.shares = cpu.shares;
  if (quota !== undefined) out.quota = quota;
  return out;
}

/** The OCI resources for `cpu` on a host with cgroup `version`; {} for no limits. */
export function cpuResources(cpu: CpuLimits | undefined, version: CgroupVersion): { cpu?: Record<string, number>; unified?: Record<string, string> } {
  if (!cpu) return {};
  const c = checkedCpu(cpu);
  if (c.shares === undefined && c.quota === undefined) return {};
  if (version === 1) {
    const out: Record<string, number> = {};
    if (c.shares !== undefined) out.shares = c.shares;
    if (c.quota !== undefined) {
      out.quota = c.quota;
      out.period = c.period;
    }
    return { cpu: out };
  }
  const unified: Record<string, string> = {};
  if (c.shares !== undefined) unified['cpu.weight'] = String(sharesToWeight(c.shares));
  if (c.quota !== undefined) unified['cpu.max'] = `${c.quota} ${c.period}`;
  return { unified };
}
