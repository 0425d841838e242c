import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostHeartbeat, JobInfo } from '../shared';
import { HostRegistry, reserveBytes } from './hosts';
import { sizeLimits } from './sizes';

const GiB = 1024 * 1024 * 1024;
const hb = (hostId: string, memoryBytes = 8 * GiB): HostHeartbeat => ({ hostId, address: '10.0.0.1', memoryBytes, cpus: 4, runtime: 'runc', jobs: [], at: '' });
const job = (id: string, hostId: string, memoryBytes?: number, state: JobInfo['state'] = 'up'): JobInfo => ({ id, app: 'a', release: 1, processType: 'web', hostId, state, memoryBytes });

describe('hosts', () => {
  test('a host is alive until 10 s without heartbeat, then dead; its return is news', () => {
    let now = 0;
    const r = new HostRegistry(10_000, () => now);
    assert.equal(r.heartbeat(hb('h1')), true, 'a new host');
    now = 2_000;
    assert.equal(r.heartbeat(hb('h1')), false, 'a known live host');
    now = 12_000;
    assert.deepEqual(r.alive().map((h) => h.id), ['h1']);
    now = 12_001;
    assert.deepEqual(r.alive(), []);
    assert.deepEqual(r.dead().map((h) => h.id), ['h1']);
    assert.equal(r.accepts('h1'), false);
    assert.equal(r.heartbeat(hb('h1')), true, 'a host back from the dead');
  });

  test('a host whose agent stops cleanly (restarting) is waited for, bounded, and takes nothing new meanwhile', () => {
    let now = 0;
    const r = new HostRegistry(10_000, () => now, 60_000);
    const at = (ms: number): string => new Date(ms).toISOString();
    r.heartbeat({ ...hb('h1'), jobs: [job('j1', 'h1')], at: at(0) });
    now = 1_000;
    r.heartbeat({ ...hb('h1'), jobs: [job('j1', 'h1')], at: at(1_000), restarting: true });
    assert.equal(r.restarting('h1'), true);
    assert.equal(r.accepts('h1'), false, 'nothing new is placed on it');
    // The stopping agent's own heartbeat, sent before its last one, arrives after it.
    r.heartbeat({ ...hb('h1'), at: at(900) });
    now = 30_000;
    assert.deepEqual(r.alive().map((h) => h.id), ['h1'], 'silent for 29 s but restarting: alive');
    assert.deepEqual(r.get('h1')?.jobs.map((j) => j.id), ['j1'], 'its jobs stand as last reported');
    assert.equal(r.heartbeat({ ...hb('h1'), at: at(30_000) }), false, 'the next agent: not a return from the dead');
    assert.equal(r.restarting('h1'), false);
    assert.equal(r.accepts('h1'), true);
    // A restart that never comes back: dead once the wait is over.
    now = 31_000;
    r.heartbeat({ ...hb('h1'), at: at(31_000), restarting: true });
    now = 91_000;
    assert.deepEqual(r.alive().map((h) => h.id), ['h1']);
    now = 91_001;
    assert.deepEqual(r.dead().map((h) => h.id), ['h1']);
  });

  test('free memory is total minus reserve minus the limits of its live jobs', () => {
    const r = new HostRegistry();
    r.heartbeat(hb('h1'));
    r.heartbeat(hb('h2', 4 * GiB));
    const jobs = [job('j1', 'h1', GiB), job('j2', 'h1'), job('j3', 'h1', GiB, 'crashed'), job('j4', 'h2', 2 * GiB)];
    const caps = r.capacities(jobs, 512 * 1024 * 1024);
    assert.deepEqual(caps, [
      { id: 'h1', freeBytes: 8 * GiB - reserveBytes(8 * GiB) - GiB - 512 * 1024 * 1024 },
      { id: 'h2', freeBytes: 4 * GiB - reserveBytes(4 * GiB) - 2 * GiB },
    ]);
    assert.equal(reserveBytes(GiB), 256 * 1024 * 1024);
    assert.equal(reserveBytes(100 * GiB), 10 * GiB);
  });

  test('drained and removed hosts take nothing new and their jobs move', () => {
    const r = new HostRegistry();
    for (const id of ['h1', 'h2', 'h3']) r.heartbeat(hb(id));
    r.setPolicies([{ id: 'h2', draining: true, removed: false }, { id: 'h3', draining: false, removed: true }]);
    assert.deepEqual(r.capacities([], 0).map((c) => c.id), ['h1']);
    assert.deepEqual(['h1', 'h2', 'h3'].map((id) => r.evacuating(id)), [false, true, true]);
    r.setPolicies([]);
    assert.deepEqual(r.capacities([], 0).map((c) => c.id), ['h1', 'h2', 'h3'], 'undrained');
  });
});

describe('sizes', () => {
  test("Heroku's sizes, the old names, and unknown names", () => {
    const MiB = 1024 * 1024;
    assert.deepEqual(sizeLimits('eco'), { memoryBytes: 512 * MiB, cpus: 1, dedicated: false });
    assert.deepEqual(sizeLimits('standard-2x'), { memoryBytes: 1024 * MiB, cpus: 2, dedicated: false });
    assert.deepEqual(sizeLimits('performance-m'), { memoryBytes: 2560 * MiB, cpus: 2, dedicated: true });
    assert.deepEqual(sizeLimits('performance-l'), { memoryBytes: 14 * 1024 * MiB, cpus: 8, dedicated: true });
    assert.deepEqual(sizeLimits('standard'), sizeLimits('standard-1x'));
    assert.deepEqual(sizeLimits('Performance'), sizeLimits('performance-m'));
    assert.deepEqual(sizeLimits('galactic'), sizeLimits('standard-1x'));
  });
});
