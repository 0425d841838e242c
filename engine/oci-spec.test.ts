import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciSpec, DEFAULT_CAPS, MASKED_PATHS, nofileLimit, type OciSpecInput } from './oci-spec';

const input = (over: Partial<OciSpecInput> = {}): OciSpecInput => ({
  args: ['bash', '-c', 'echo hi'],
  env: ['PATH=/bin', 'PORT=5000'],
  cwd: '/app',
  user: { uid: 1000, gid: 1000 },
  hostname: 'web-1',
  netnsPath: '/run/netns/paas-abc',
  memoryBytes: 512 * 1024 * 1024,
  pidsLimit: 256,
  nofile: 20000,
  cgroupsPath: '/paas/web-1',
  mounts: [{ source: '/srv/cache', destination: '/cache', readonly: true }],
  resolvConf: '/d/resolv.conf',
  hostsFile: '/d/hosts',
  ...over,
});

type Spec = {
  process: { user: { uid: number }; capabilities: Record<string, string[]>; noNewPrivileges: boolean; rlimits: { hard: number }[]; args: string[]; env: string[]; cwd: string };
  linux: { namespaces: { type: string; path?: string }[]; resources: { memory?: { limit: number; swap?: number }; pids: { limit: number } }; cgroupsPath: string; maskedPaths: string[]; readonlyPaths: string[] };
  mounts: { destination: string; type: string; source: string; options?: string[] }[];
  hostname: string;
};

test('app users get no capabilities and no_new_privs', () => {
  const s = buildOciSpec(input()) as unknown as Spec;
  assert.deepEqual(s.process.capabilities.effective, []);
  assert.deepEqual(s.process.capabilities.permitted, []);
  assert.deepEqual(s.process.capabilities.ambient, []);
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.process.user.uid, 1000);
  const root = buildOciSpec(input({ user: { uid: 0, gid: 0 } })) as unknown as Spec;
  assert.deepEqual(root.process.capabilities.effective, DEFAULT_CAPS);
  assert.ok(!DEFAULT_CAPS.includes('CAP_SYS_ADMIN'));
});

test('namespaces: network joins the given netns; host mode has none', () => {
  const s = buildOciSpec(input()) as unknown as Spec;
  assert.deepEqual(s.linux.namespaces.map((n) => n.type).sort(), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(s.linux.namespaces.find((n) => n.type === 'network')?.path, '/run/netns/paas-abc');
  const host = buildOciSpec(input({ netnsPath: undefined })) as unknown as Spec;
  assert.ok(!host.linux.namespaces.some((n) => n.type === 'network'));
});

test('limits, cgroup path, masked paths, mounts', () => {
  const s = buildOciSpec(input()) as unknown as Spec;
  assert.deepEqual(s.linux.resources.memory, { limit: 512 * 1024 * 1024 });
  assert.equal(s.linux.resources.pids.limit, 256);
  assert.equal(s.linux.cgroupsPath, '/paas/web-1');
  assert.deepEqual(s.linux.maskedPaths, MASKED_PATHS);
  assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
  assert.equal(s.process.rlimits[0]!.hard, 20000);
  const byDest = new Map(s.mounts.map((m) => [m.destination, m]));
  for (const d of ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']) assert.ok(byDest.has(d), d);
  assert.ok(byDest.get('/sys')!.options!.includes('ro'));
  assert.ok(byDest.get('/sys/fs/cgroup')!.options!.includes('ro'));
  assert.equal(byDest.get('/etc/resolv.conf')!.source, '/d/resolv.conf');
  assert.equal(byDest.get('/etc/hosts')!.source, '/d/hosts');
  assert.deepEqual(byDest.get('/cache')!.options, ['rbind', 'rprivate', 'nosuid', 'nodev', 'ro']);
  const swap = buildOciSpec(input({ limitSwap: true })) as unknown as Spec;
  assert.equal(swap.linux.resources.memory!.swap, 512 * 1024 * 1024);
  assert.equal(s.hostname, 'web-1');
});

test('nofile limit never exceeds our own hard limit', () => {
  assert.equal(nofileLimit('Max open files            20000                20000                files\n'), 20000);
  assert.equal(nofileLimit('Max open files            1024                 1048576              files\n'), 65536);
  assert.equal(nofileLimit('Max open files            unlimited            unlimited            files\n'), 65536);
});
