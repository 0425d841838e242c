/**
 * Limits and stats against real containers: a CPU spinner under a quota, memory use, a
 * fork loop against the pids limit while the host stays responsive. Root only; bridge paash2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { ContainerStats, EngineApi } from './types';
import { skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { sleep } from './launcher';
import { detectCgroupVersion } from './stats-cgroup';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

/** CPUs used between two samples. */
const cpuRate = (a: ContainerStats, b: ContainerStats): number => (b.cpuNanos - a.cpuNanos) / ((Date.parse(b.at) - Date.parse(a.at)) * 1e6);

test('limits and stats', { skip, timeout: 300_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash2', '10.233.0.1/16');
  try {
    const engine: EngineApi = await setup.open();
    await engine.ensureStack();
    const v1 = (await detectCgroupVersion()) === 1;

    await t.test('a CPU spinner: cpuNanos grows, held to its quota; shares and quota in the cgroup', async () => {
      const id = uniq('spin');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', 'while :; do :; done'], network: 'none', cpu: { shares: 512, cpus: 0.25 } });
      await engine.start(id);
      await sleep(300);
      const a = await engine.stats(id);
      await sleep(1500);
      const b = await engine.stats(id);
      assert.ok(b.cpuNanos > a.cpuNanos, 'cpu time grows');
      const rate = cpuRate(a, b);
      assert.ok(rate > 0.05 && rate < 0.35, `used ${rate.toFixed(2)} CPUs under a 0.25 CPU quota`);
      if (v1) {
        assert.equal((await readFile(`/sys/fs/cgroup/cpu/paas/${id}/cpu.shares`, 'utf8')).trim(), '512');
        assert.equal((await readFile(`/sys/fs/cgroup/cpu/paas/${id}/cpu.cfs_quota_us`, 'utf8')).trim(), '25000');
      }
      await engine.remove(id);
      await assert.rejects(engine.stats(id), { code: 'container_not_found' });
    });

    await t.test('memory use and limit are visible', async () => {
      const id = uniq('mem');
      const limit = 128 * 1024 * 1024;
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', 'head -c 40000000 /dev/zero > /dev/shm/fill; echo filled; sleep 60'], network: 'none', memoryBytes: limit });
      await engine.start(id);
      let s: ContainerStats | undefined;
      for (let i = 0; i < 50 && !(s && s.memoryBytes > 38_000_000); i++) {
        await sleep(100);
        s = await engine.stats(id);
      }
      assert.ok(s && s.memoryBytes > 38_000_000 && s.memoryBytes < limit, `memory ${s?.memoryBytes}`);
      assert.equal(s.memoryLimitBytes, limit);
      assert.ok(s.pids >= 2, `pids ${s.pids}`);
      await engine.stop(id, 0);
      await assert.rejects(engine.stats(id), { code: 'container_not_running' });
      await engine.remove(id);
    });

    await t.test('a fork loop stops at the pids limit and the host stays responsive', async () => {
      const id = uniq('forks');
      await engine.create({
        id, image: STACK_REF, network: 'none', pidsLimit: 64,
        cmd: ['/bin/bash', '-c', 'for i in $(seq 1000); do sleep 60 & done 2>/dev/null; echo looped; wait'],
      });
      await engine.start(id);
      let s: ContainerStats | undefined;
      for (let i = 0; i < 50; i++) {
        await sleep(100);
        s = await engine.stats(id);
        if (s.pids >= 60) break;
      }
      assert.ok(s && s.pids <= 64 && s.pids >= 60, `pids ${s?.pids}`);
      const t0 = Date.now();
      execFileSync('/bin/true');
      assert.ok(Date.now() - t0 < 1000, 'the host can still start a process at once');
      await engine.remove(id);
    });
  } finally {
    await setup.cleanup();
  }
});
