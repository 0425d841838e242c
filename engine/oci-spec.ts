/**
 * Generates a container's OCI runtime config (config.json), the whole spec written by
 * hand: namespaces, the standard mounts, Docker's masked and read-only paths, a minimal
 * capability set, no_new_privs, rlimits and cgroup limits. Pure: no I/O here.
 */
import type { BindMount } from './types';
import { seccompProfile } from './seccomp';

export interface OciSpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number };
  hostname: string;
  /** Network namespace to join; undefined means the host's network (host mode). */
  netnsPath?: string;
  memoryBytes?: number;
  /** Also cap memory+swap at the memory limit (only where the kernel accounts swap). */
  limitSwap?: boolean;
  /** linux.resources.cpu (cgroup v1 hosts): shares, quota, period. See lifecycle-limits.ts. */
  cpu?: Record<string, number>;
  /** linux.resources.unified (cgroup v2 hosts): raw cgroup files, e.g. cpu.max. */
  unified?: Record<string, string>;
  pidsLimit: number;
  /** RLIMIT_NOFILE; may not exceed the engine's own hard limit without CAP_SYS_RESOURCE. */
  nofile: number;
  cgroupsPath: string;
  mounts: BindMount[];
  /** Host files bind-mounted read-only over the image's /etc/resolv.conf and /etc/hosts. */
  resolvConf: string;
  hostsFile: string;
}

/** Docker's default capability set: given to root in a container, never to app users. */
export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const nodev = ['nosuid', 'noexec', 'nodev'];

function standardMounts(): object[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: nodev },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: [...nodev, 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: nodev },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...nodev, 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [...nodev, 'relatime', 'ro'] },
  ];
}

function bind(source: string, destination: string, readonly: boolean): object {
  return { destination, type: 'bind', source, options: ['rbind', 'rprivate', 'nosuid', 'nodev', ...(readonly ? ['ro'] : [])] };
}

export function buildOciSpec(input: OciSpecInput): Record<string, unknown> {
  const isRoot = input.user.uid === 0;
  const caps = isRoot ? DEFAULT_CAPS : [];
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (input.netnsPath) namespaces.push({ type: 'network', path: input.netnsPath });
  const resources: Record<string, unknown> = {
    devices: [{ allow: false, access: 'rwm' }],
    pids: { limit: input.pidsLimit },
  };
  if (input.memoryBytes) {
    resources.memory = input.limitSwap
      ? { limit: input.memoryBytes, swap: input.memoryBytes }
      : { limit: input.memoryBytes };
  }
  if (input.cpu) resources.cpu = input.cpu;
  if (input.unified) resources.unified = input.unified;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [input.user.gid] },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      // Non-root gets an empty bounding set too: nothing it execs (setuid or file caps) can regain one.
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: input.nofile, soft: input.nofile }],
      noNewPrivileges: true,
      oomScoreAdj: 0,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: input.hostname,
    mounts: [
      ...standardMounts(),
      bind(input.resolvConf, '/etc/resolv.conf', true),
      bind(input.hostsFile, '/etc/hosts', true),
      ...input.mounts.map((m) => bind(m.source, m.destination, m.readonly === true)),
    ],
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
      seccomp: seccompProfile({ caps }),
    },
  };
}

/** min(65536, this process's hard RLIMIT_NOFILE), read from /proc/self/limits. */
export function nofileLimit(procLimits: string): number {
  const m = /^Max open files\s+\S+\s+(\S+)/m.exec(procLimits);
  const hard = m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
  return Math.min(65536, Number.isFinite(hard) ? hard : 65536);
}
