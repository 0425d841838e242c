import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuResources, sharesToWeight } from './lifecycle-limits';
import { buildOciSpec } from './oci-spec';
import { parseStats, statsFiles } from './stats-cgroup';

test('cpu limits on cgroup v1: shares, quota and period', () => {
  assert.deepEqual(cpuResources({ shares: 512, cpus: 0.5 }, 1), { cpu: { shares: 512, quota: 50_000, period: 100_000 } });
  assert.deepEqual(cpuResources({ quotaMicros: 20_000, periodMicros: 50_000, cpus: 3 }, 1), { cpu: { quota: 20_000, period: 50_000 } });
  assert.deepEqual(cpuResources({ shares: 2048 }, 1), { cpu: { shares: 2048 } });
  assert.deepEqual(cpuResources(undefined, 1), {});
  assert.deepEqual(cpuResources({}, 2), {});
});

test('cpu limits on cgroup v2: cpu.weight and cpu.max files', () => {
  assert.deepEqual(cpuResources({ shares: 1024, cpus: 1.5 }, 2), { unified: { 'cpu.weight': '39', 'cpu.max': '150000 100000' } });
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(262_144), 10_000);
});

test('bad cpu limits are refused', () => {
  for (const bad of [{ shares: 1 }, { shares: 1.5 }, { cpus: 0 }, { cpus: -1 }, { quotaMicros: 10 }, { periodMicros: 10 }, { cpus: 0.001 }]) {
    assert.throws(() => cpuResources(bad, 1), { code: 'invalid_params' }, JSON.stringify(bad));
  }
});

test('the OCI spec carries them', () => {
  const base = {
    args: ['true'], env: [], cwd: '/', user: { uid: 1000, gid: 1000 }, hostname: 'h', pidsLimit: 10, nofile: 1024,
    cgroupsPath: '/paas/x', mounts: [], resolvConf: '/r', hostsFile: '/h',
  };
  const v1 = buildOciSpec({ ...base, ...cpuResources({ shares: 512, cpus: 0.5 }, 1) }) as { linux: { resources: Record<string, unknown> } };
  assert.deepEqual(v1.linux.resources.cpu, { shares: 512, quota: 50_000, period: 100_000 });
  assert.equal(v1.linux.resources.unified, undefined);
  const v2 = buildOciSpec({ ...base, ...cpuResources({ shares: 512, cpus: 0.5 }, 2) }) as { linux: { resources: Record<string, unknown> } };
  assert.deepEqual(v2.linux.resources.unified, { 'cpu.weight': '20', 'cpu.max': '50000 100000' });
  assert.equal(v2.linux.resources.cpu, undefined);
});

test('stats files: per-controller hierarchies on v1, one directory on v2', () => {
  assert.deepEqual(statsFiles(1, '/paas/web-1'), {
    memoryUsage: '/sys/fs/cgroup/memory/paas/web-1/memory.usage_in_bytes',
    memoryStat: '/sys/fs/cgroup/memory/paas/web-1/memory.stat',
    memoryLimit: '/sys/fs/cgroup/memory/paas/web-1/memory.limit_in_bytes',
    cpu: '/sys/fs/cgroup/cpuacct/paas/web-1/cpuacct.usage',
    pids: '/sys/fs/cgroup/pids/paas/web-1/pids.current',
  });
  assert.deepEqual(statsFiles(2, '/paas/web-1'), {
    memoryUsage: '/sys/fs/cgroup/paas/web-1/memory.current',
    memoryStat: '/sys/fs/cgroup/paas/web-1/memory.stat',
    memoryLimit: '/sys/fs/cgroup/paas/web-1/memory.max',
    cpu: '/sys/fs/cgroup/paas/web-1/cpu.stat',
    pids: '/sys/fs/cgroup/paas/web-1/pids.current',
  });
});

test('stats parsing: page cache left out, "no limit" is the host memory', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  const v1 = parseStats(1, {
    memoryUsage: '50000000\n', memoryStat: 'cache 100\ntotal_inactive_file 10000000\n', memoryLimit: '9223372036854771712\n',
    cpu: '123456789\n', pids: '3\n',
  }, 8e9, at);
  assert.deepEqual(v1, { memoryBytes: 40_000_000, memoryLimitBytes: 8e9, cpuNanos: 123_456_789, pids: 3, at: at.toISOString() });
  const v2 = parseStats(2, {
    memoryUsage: '50000000\n', memoryStat: 'anon 1\ninactive_file 20000000\n', memoryLimit: '268435456\n',
    cpu: 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n', pids: '7\n',
  }, 8e9, at);
  assert.deepEqual(v2, { memoryBytes: 30_000_000, memoryLimitBytes: 268_435_456, cpuNanos: 1_500_000, pids: 7, at: at.toISOString() });
  assert.equal(parseStats(2, { memoryUsage: '1', memoryStat: '', memoryLimit: 'max', cpu: '', pids: '0' }, 5, at).memoryLimitBytes, 5);
});
