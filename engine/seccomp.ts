/**
 * The seccomp profile every container gets: Docker's default, an allow-list whose
 * default action is EPERM. Like dockerd, it is resolved per container: rules that
 * depend on capabilities apply only when the container's bounding set holds them (so
 * an app user with no capabilities gets no mount, unshare, setns, bpf, perf, ptrace
 * of others…, and root gets chroot because it holds CAP_SYS_CHROOT), rules for other
 * architectures or older kernels are dropped.
 */
import { release } from 'node:os';
import { DOCKER_ARCH_MAP, DOCKER_SECCOMP_RULES, type DockerSeccompArg, type DockerSeccompRule } from './security-seccomp-docker';

export const EPERM = 1;

export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: Required<DockerSeccompArg>[];
}

export interface OciSeccomp {
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: OciSeccompRule[];
}

export interface SeccompOptions {
  /** The container's bounding capabilities (CAP_*). */
  caps?: readonly string[];
  /** Node's process.arch. */
  arch?: string;
  /** Kernel release, e.g. 6.1.0-18-amd64. */
  kernel?: string;
}

/** Node's architecture names → Go's, which Docker's profile uses. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: 'x86', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', loong64: 'loong64' };

/** Compares dotted versions numerically: kernelAtLeast('6.1.0-18-amd64', '4.8') is true. */
export function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (v: string): number[] => (/^[\d.]+/.exec(v)?.[0] ?? '0').split('.').filter(Boolean).map(Number);
  const a = parse(kernel);
  const b = parse(min);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

function applies(rule: DockerSeccompRule, caps: ReadonlySet<string>, arch: string, kernel: string): boolean {
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (inc.arches && !inc.arches.includes(arch)) return false;
  if (inc.caps && !inc.caps.every((c) => caps.has(c))) return false;
  if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  if (exc.arches?.includes(arch)) return false;
  if (exc.caps?.some((c) => caps.has(c))) return false;
  return true;
}

export function seccompProfile(options: SeccompOptions = {}): OciSeccomp {
  const arch = GO_ARCH[options.arch ?? process.arch] ?? options.arch ?? process.arch;
  const caps = new Set(options.caps ?? []);
  const kernel = options.kernel ?? release();
  const syscalls = DOCKER_SECCOMP_RULES.filter((r) => applies(r, caps, arch, kernel)).map((r): OciSeccompRule => {
    const out: OciSeccompRule = { names: r.names, action: r.action };
    if (r.errnoRet !== undefined) out.errnoRet = r.errnoRet;
    if (r.args) out.args = r.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    return out;
  });
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: DOCKER_ARCH_MAP[arch] ?? [], syscalls };
}

/** Whether the resolved profile lets `name` through unconditionally (for tests and reports). */
export function allowsUnconditionally(profile: OciSeccomp, name: string): boolean {
  return profile.syscalls.some((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args && r.names.includes(name));
}
