/** The T19 pass criteria themselves: a conformant report passes, each kind of weakness is caught. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capMask, DENIED_SYSCALLS, parseProbeReport, t19Violations, type ProbeReport } from './security-conformance';
import { DEFAULT_CAPS } from './oci-spec';

const hostNs = { pid: 'pid:[1]', mnt: 'mnt:[2]', net: 'net:[3]', uts: 'uts:[4]', ipc: 'ipc:[5]', cgroup: 'cgroup:[6]', user: 'user:[7]' };

/** What the probe printed in a uid-1000 container of this engine (trimmed). */
function conformant(): ProbeReport {
  const syscalls: Record<string, number> = Object.fromEntries(DENIED_SYSCALLS.map((n) => [n, 1]));
  Object.assign(syscalls, { clone3: 38, fork: 0, socket_inet: 0, chroot: 1, mknod_mem: 1, write_etc_hosts: 13 });
  return {
    uid: 1000, gid: 1000, pid: 1,
    status: { CapInh: '0000000000000000', CapPrm: '0000000000000000', CapEff: '0000000000000000', CapBnd: '0000000000000000', CapAmb: '0000000000000000', NoNewPrivs: '1', Seccomp: '2' },
    syscalls,
    masked: { '/proc/asound': { errno: 2 }, '/proc/acpi': { errno: 0, entries: 0 }, '/proc/interrupts': { errno: 0, bytes: 0 }, '/proc/kcore': { errno: 0, bytes: 0 },
      '/proc/keys': { errno: 0, bytes: 0 }, '/proc/latency_stats': { errno: 2 }, '/proc/timer_list': { errno: 0, bytes: 0 }, '/proc/timer_stats': { errno: 2 },
      '/proc/sched_debug': { errno: 2 }, '/proc/scsi': { errno: 2 }, '/sys/firmware': { errno: 0, entries: 0 }, '/sys/devices/virtual/powercap': { errno: 2 } },
    writes: { '/proc/sys/kernel/core_pattern': 13, '/proc/sysrq-trigger': 2, '/sys/kernel/profiling': 30, '/sys/fs/cgroup/memory/memory.limit_in_bytes': 30 },
    ns: { pid: 'pid:[11]', mnt: 'mnt:[12]', net: 'net:[13]', uts: 'uts:[14]', ipc: 'ipc:[15]', cgroup: 'cgroup:[6]', user: 'user:[7]' },
    dev: ['/dev/null c 1:3', '/dev/zero c 1:5', '/dev/full c 1:7', '/dev/random c 1:8', '/dev/urandom c 1:9', '/dev/tty c 5:0',
      '/dev/pts/ptmx c 5:2', '/dev/ptmx l pts/ptmx', '/dev/pts d', '/dev/shm d', '/dev/mqueue d', '/dev/fd l /proc/self/fd'],
    pids: ['1'],
    env: ['PATH=/bin', 'HOSTNAME=x'],
    mountinfo: [
      '73 48 0:39 / / rw,relatime - overlay overlay rw',
      '79 73 0:46 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro',
      '80 79 0:47 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755',
      '84 80 0:32 /paas/x /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory',
      '52 74 0:42 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw',
    ],
  };
}

const check = (r: ProbeReport): string[] => t19Violations(r, { hostNs, expectedEnv: ['HOSTNAME=x', 'PATH=/bin'] });

test('a conformant report passes; the JSON the probe prints parses', () => {
  assert.deepEqual(check(conformant()), []);
  assert.deepEqual(parseProbeReport(`noise\n${JSON.stringify(conformant())}\n`), conformant());
});

test("Docker's default capability mask is a80425fb", () => {
  assert.equal(capMask(DEFAULT_CAPS).toString(16), 'a80425fb');
});

test('each weakness is reported', () => {
  const cases: [string, (r: ProbeReport) => void, RegExp][] = [
    ['a capability', (r) => (r.status.CapEff = '0000000000000400'), /CapEff/],
    ['a bounding set', (r) => (r.status.CapBnd = '00000000a80425fb'), /CapBnd/],
    ['no no_new_privs', (r) => (r.status.NoNewPrivs = '0'), /NoNewPrivs/],
    ['no seccomp', (r) => (r.status.Seccomp = '0'), /Seccomp/],
    ['a permitted mount', (r) => (r.syscalls.mount = 0), /mount returned errno 0/],
    ['io_uring (deny-list profile)', (r) => (r.syscalls.io_uring_setup = 0), /io_uring_setup/],
    ['vsock', (r) => (r.syscalls.socket_vsock = 0), /socket_vsock/],
    ['a deny-all profile', (r) => (r.syscalls.fork = 1), /fork/],
    ['a readable masked path', (r) => (r.masked['/proc/kcore'] = { errno: 0, bytes: 4096 }), /\/proc\/kcore is readable/],
    ['a writable /proc/sys', (r) => (r.writes['/proc/sys/kernel/core_pattern'] = 0), /core_pattern opened for writing/],
    ['no cgroup file to try', (r) => delete r.writes['/sys/fs/cgroup/memory/memory.limit_in_bytes'], /no cgroup path/],
    ['the host pid namespace', (r) => (r.ns.pid = hostNs.pid), /pid namespace is the host's/],
    ['an extra device', (r) => r.dev.push('/dev/sda b 8:0'), /unexpected \/dev entry: \/dev\/sda/],
    ['a missing device', (r) => (r.dev = r.dev.filter((d) => !d.startsWith('/dev/tty'))), /missing default device \/dev\/tty/],
    ['other processes', (r) => r.pids.push('77'), /besides itself/],
    ['a leaked variable', (r) => r.env.push('NATS_TOKEN=s3cret'), /environment/],
    ['a host mount', (r) => r.mountinfo.push('99 73 254:0 /var/lib/paas /data rw - ext4 /dev/vda rw'), /unexpected mount \/data/],
    ['a writable /sys', (r) => (r.mountinfo[1] = r.mountinfo[1]!.replace(' ro,', ' rw,')), /\/sys is mounted read-write/],
    ['a writable cgroup', (r) => (r.mountinfo[3] = r.mountinfo[3]!.replace(' ro,', ' rw,')), /memory is mounted read-write/],
  ];
  for (const [what, mutate, expected] of cases) {
    const r = conformant();
    mutate(r);
    const v = check(r);
    assert.ok(v.some((m) => expected.test(m)), `${what}: ${JSON.stringify(v)}`);
  }
});

test('root: the default 14 capabilities, chroot and mknod allowed, opening a device node still refused', () => {
  const r = conformant();
  r.uid = 0;
  for (const f of ['CapEff', 'CapPrm', 'CapBnd']) r.status[f] = '00000000a80425fb';
  Object.assign(r.syscalls, { chroot: 0, mknod_mem: 0, write_etc_hosts: 30 });
  r.writes = { '/proc/sys/kernel/core_pattern': 30, '/sys/kernel/profiling': 30, '/sys/fs/cgroup/memory/memory.limit_in_bytes': 30 };
  assert.deepEqual(check(r), []);
  r.status.CapEff = '000001ffffffffff';
  r.syscalls.open_mem = 0;
  r.writes['/sys/kernel/profiling'] = 13; // root must meet a read-only mount, not a permission check
  const v = check(r);
  for (const re of [/CapEff/, /open_mem/, /profiling/]) assert.ok(v.some((m) => re.test(m)), `${re}: ${JSON.stringify(v)}`);
});
