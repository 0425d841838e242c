/**
 * What the conformance probe (security-probe.c) reports, and the pass criteria of
 * RELIABILITY.md T19 applied to it: a list of violations, empty when the container is
 * as locked down as paas promises. Pure, so the criteria themselves are unit-tested.
 */
import { z } from 'zod';
import { DEFAULT_CAPS, MASKED_PATHS, READONLY_PATHS } from './oci-spec';

const errnoOf = z.number().int();

export const probeReportSchema = z.object({
  uid: z.number().int(),
  gid: z.number().int(),
  pid: z.number().int(),
  status: z.record(z.string(), z.string()),
  syscalls: z.record(z.string(), errnoOf),
  masked: z.record(z.string(), z.object({ errno: errnoOf, bytes: z.number().optional(), entries: z.number().optional() })),
  writes: z.record(z.string(), errnoOf),
  ns: z.record(z.string(), z.string()),
  dev: z.array(z.string()),
  pids: z.array(z.string()),
  env: z.array(z.string()),
  mountinfo: z.array(z.string()),
});

export type ProbeReport = z.infer<typeof probeReportSchema>;

export function parseProbeReport(text: string): ProbeReport {
  const start = text.indexOf('{');
  return probeReportSchema.parse(JSON.parse(text.slice(start)));
}

export const E = { EPERM: 1, ENOENT: 2, EACCES: 13, EROFS: 30, ENOSYS: 38 } as const;

/** Capability numbers (linux/capability.h) of the names paas uses. */
const CAP_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6, CAP_SETUID: 7,
  CAP_SETPCAP: 8, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_CHROOT: 18, CAP_MKNOD: 27, CAP_AUDIT_WRITE: 29,
  CAP_SETFCAP: 31,
};

/** The bit mask of a capability set, as /proc/self/status prints it (Docker's 14: a80425fb). */
export function capMask(caps: readonly string[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(CAP_NUMBERS[c] ?? 63)), 0n);
}

/** Refused with EPERM for every container, root or not (by seccomp, and by missing capabilities). */
export const DENIED_SYSCALLS = [
  'mount', 'umount2', 'unshare_user', 'unshare_mnt', 'unshare_user_cgroup', 'setns', 'clone_newns', 'keyctl', 'add_key',
  'bpf', 'perf_event_open', 'open_by_handle_at', 'kexec_load', 'init_module', 'delete_module', 'io_uring_setup',
  'userfaultfd', 'socket_vsock', 'socket_alg', 'personality', 'pivot_root', 'swapon', 'acct', 'syslog', 'open_mem',
];

/** Device nodes a container may have: runc's defaults (and devpts's ptmx). */
const ALLOWED_DEVICES = new Set(['/dev/null c 1:3', '/dev/zero c 1:5', '/dev/full c 1:7', '/dev/random c 1:8',
  '/dev/urandom c 1:9', '/dev/tty c 5:0', '/dev/pts/ptmx c 5:2']);
const ALLOWED_DEV_OTHER = new Set(['/dev/pts d', '/dev/shm d', '/dev/mqueue d', '/dev/fd l /proc/self/fd',
  '/dev/stdin l /proc/self/fd/0', '/dev/stdout l /proc/self/fd/1', '/dev/stderr l /proc/self/fd/2',
  '/dev/ptmx l pts/ptmx', '/dev/core l /proc/kcore']);

export interface ConformanceContext {
  /** The host's /proc/self/ns/* links, which the container's must differ from. */
  hostNs: Record<string, string>;
  /** Exactly the environment the container should have (order ignored). */
  expectedEnv?: string[];
  /** Mount points the spec added (bind mounts) besides paas's own. */
  extraMounts?: string[];
}

const hex = (s: string | undefined): bigint => BigInt(`0x${s ?? 'ffffffffffffffff'}`);

function capViolations(r: ProbeReport, out: string[]): void {
  const allowed = r.uid === 0 ? capMask(DEFAULT_CAPS) : 0n;
  for (const f of ['CapEff', 'CapPrm', 'CapBnd']) {
    const v = hex(r.status[f]);
    if (v !== allowed) out.push(`${f} is ${r.status[f]}, expected ${allowed.toString(16).padStart(16, '0')}`);
  }
  for (const f of ['CapInh', 'CapAmb']) if (hex(r.status[f]) !== 0n) out.push(`${f} is ${r.status[f]}, expected none`);
  if (r.status.NoNewPrivs !== '1') out.push(`NoNewPrivs is ${r.status.NoNewPrivs}`);
  if (r.status.Seccomp !== '2') out.push(`Seccomp mode is ${r.status.Seccomp}, expected 2 (filter)`);
}

function syscallViolations(r: ProbeReport, out: string[]): void {
  const expect = (name: string, ok: number[]): void => {
    const got = r.syscalls[name];
    if (got === undefined || !ok.includes(got)) out.push(`${name} returned errno ${got}, expected ${ok.join(' or ')}`);
  };
  for (const name of DENIED_SYSCALLS) expect(name, [E.EPERM]);
  // clone3's flags are out of seccomp's reach: ENOSYS sends libc back to clone, which is filtered.
  expect('clone3', [E.ENOSYS]);
  // Controls: the probe works and the profile is not deny-all.
  expect('fork', [0]);
  expect('socket_inet', [0]);
  expect('chroot', r.uid === 0 ? [0] : [E.EPERM]); // Docker lets CAP_SYS_CHROOT holders chroot
  expect('mknod_mem', r.uid === 0 ? [0] : [E.EPERM]); // CAP_MKNOD may make nodes; the device cgroup refuses opening them
  expect('write_etc_hosts', r.uid === 0 ? [E.EROFS] : [E.EROFS, E.EACCES]);
}

function pathViolations(r: ProbeReport, out: string[]): void {
  for (const p of MASKED_PATHS) {
    const m = r.masked[p];
    if (!m) out.push(`${p}: not probed`);
    else if (m.errno === E.ENOENT || m.errno === E.EACCES || m.errno === E.EPERM) continue;
    else if (m.errno !== 0 || (m.bytes ?? 0) > 0 || (m.entries ?? 0) > 0) out.push(`${p} is readable: ${JSON.stringify(m)}`);
  }
  const refused = r.uid === 0 ? [E.EROFS] : [E.EROFS, E.EACCES, E.EPERM];
  // /proc/sysrq-trigger is tried too, but kernels without CONFIG_MAGIC_SYSRQ have none.
  const kinds = { procSys: 0, sys: 0, cgroup: 0 };
  for (const [p, errno] of Object.entries(r.writes)) {
    if (errno === E.ENOENT) continue;
    if (!refused.includes(errno as 1 | 13 | 30)) out.push(`${p} opened for writing (errno ${errno})`);
    if (p.startsWith('/proc/sys/')) kinds.procSys++;
    else if (p.startsWith('/sys/fs/cgroup/')) kinds.cgroup++;
    else if (p.startsWith('/sys/')) kinds.sys++;
  }
  for (const [k, n] of Object.entries(kinds)) if (n === 0) out.push(`no ${k} path existed to try a write on`);
}

function isolationViolations(r: ProbeReport, ctx: ConformanceContext, out: string[]): void {
  for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc']) {
    if (!r.ns[ns] || r.ns[ns] === ctx.hostNs[ns]) out.push(`${ns} namespace is the host's (${r.ns[ns]})`);
  }
  for (const d of r.dev) {
    if (!ALLOWED_DEVICES.has(d) && !ALLOWED_DEV_OTHER.has(d) && !/^\/dev\/pts\/\d+ c 136:\d+$/.test(d)) out.push(`unexpected /dev entry: ${d}`);
  }
  for (const d of ALLOWED_DEVICES) if (!r.dev.includes(d)) out.push(`missing default device ${d}`);
  if (r.pid === 1 && r.pids.join(',') !== '1') out.push(`sees processes besides itself: ${r.pids.join(',')}`);
  if (ctx.expectedEnv) {
    const got = [...r.env].sort();
    const want = [...ctx.expectedEnv].sort();
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`environment is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  mountViolations(r, ctx, out);
}

/** Every mount is one paas made, and the kernel interfaces are mounted read-only. */
function mountViolations(r: ProbeReport, ctx: ConformanceContext, out: string[]): void {
  const allowed = new Set(['/', '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup',
    '/etc/resolv.conf', '/etc/hosts', ...MASKED_PATHS, ...READONLY_PATHS, ...(ctx.extraMounts ?? [])]);
  for (const line of r.mountinfo) {
    const f = line.split(' ');
    const point = f[4] ?? '';
    const options = (f[5] ?? '').split(',');
    if (!allowed.has(point) && !/^\/sys\/fs\/cgroup\/[^/]+$/.test(point)) out.push(`unexpected mount ${point}: ${line}`);
    // runc 1.1 on cgroup v1 leaves the tmpfs holding the (read-only) hierarchies writable, as under
    // Docker: a private, empty tmpfs, owned by root; the cgroup mounts below it must be read-only.
    const v1CgroupTmpfs = point === '/sys/fs/cgroup' && / - tmpfs /.test(line);
    const mustBeRo = (point === '/sys' || point.startsWith('/sys/') || READONLY_PATHS.includes(point)) && !v1CgroupTmpfs;
    if (mustBeRo && !options.includes('ro')) out.push(`${point} is mounted read-write`);
  }
}

/** Every way the report breaks T19 (empty: conformant). */
export function t19Violations(r: ProbeReport, ctx: ConformanceContext): string[] {
  const out: string[] = [];
  capViolations(r, out);
  syscallViolations(r, out);
  pathViolations(r, out);
  isolationViolations(r, ctx, out);
  return out;
}
