import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { placeJobs, placeRoundRobin, type HostCapacity, type PlacementRequest } from './placement';

const MiB = 1024 * 1024;
const req = (key: string, mib = 512) => ({ key, memoryBytes: mib * MiB });

describe('placement', () => {
  test('spreads the jobs of one app and type over hosts', () => {
    const hosts = [{ id: 'a', freeBytes: 8192 * MiB }, { id: 'b', freeBytes: 4096 * MiB }, { id: 'c', freeBytes: 4096 * MiB }];
    const r = placeJobs(hosts, [req('hello/web'), req('hello/web'), req('hello/web')]);
    assert.deepEqual(r.placed.map((p) => p.hostId).sort(), ['a', 'b', 'c']);
    assert.deepEqual(r.unplaced, []);
  });

  test('counts the jobs hosts already run: the host without one of them gets the next', () => {
    const hosts = [{ id: 'a', freeBytes: 8192 * MiB }, { id: 'b', freeBytes: 1024 * MiB }];
    const r = placeJobs(hosts, [req('hello/web')], new Map([['hello/web', new Map([['a', 1]])]]));
    assert.equal(r.placed[0].hostId, 'b');
  });

  test('among equally loaded hosts, the one with the most free memory wins, then the id', () => {
    const r = placeJobs([{ id: 'b', freeBytes: 2048 * MiB }, { id: 'a', freeBytes: 2048 * MiB }, { id: 'c', freeBytes: 4096 * MiB }], [req('x/web'), req('y/web')]);
    assert.deepEqual(r.placed.map((p) => p.hostId), ['c', 'c']);
    const tie = placeJobs([{ id: 'b', freeBytes: 1024 * MiB }, { id: 'a', freeBytes: 1024 * MiB }], [req('x/web')]);
    assert.equal(tie.placed[0].hostId, 'a');
  });

  test('respects free memory, accounting for its own placements', () => {
    const r = placeJobs([{ id: 'a', freeBytes: 1024 * MiB }], [req('x/web'), req('x/web'), req('x/web')]);
    assert.equal(r.placed.length, 2);
    assert.equal(r.unplaced.length, 1);
    assert.match(r.unplaced[0].reason, /no host has 512 MiB free \(the most free is 0 MiB on 1 live host\); add a host or choose a smaller size/);
  });

  test('a job that fits nowhere is returned with a reason, not dropped', () => {
    const big = placeJobs([{ id: 'a', freeBytes: 1024 * MiB }], [req('x/web', 2560)]);
    assert.equal(big.placed.length, 0);
    assert.equal(big.unplaced[0].request.memoryBytes, 2560 * MiB);
    assert.match(big.unplaced[0].reason, /2560 MiB/);
    const none = placeJobs([], [req('x/web')]);
    assert.match(none.unplaced[0].reason, /no live host/);
  });

  test('the fast path chooses exactly what the exhaustive rule chooses (random clusters)', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const hosts = Array.from({ length: 1 + rand(12) }, (_, i) => ({ id: `h${rand(100)}-${i}`, freeBytes: rand(5) * 512 * MiB }));
      const requests = Array.from({ length: rand(30) }, () => req(`app${rand(3)}/web`, [512, 1024][rand(2)]));
      const existing = new Map([['app0/web', new Map([[hosts[0].id, rand(3)]])]]);
      const fast = placeJobs(hosts, requests, existing);
      const slow = exhaustive(hosts, requests, existing);
      assert.deepEqual(fast.placed.map((p) => p.hostId), slow, `round ${round}`);
    }
  });

  test('round-robin baseline places the same jobs without spreading logic', () => {
    const hosts = [{ id: 'a', freeBytes: 1024 * MiB }, { id: 'b', freeBytes: 512 * MiB }];
    const r = placeRoundRobin(hosts, [req('x'), req('x'), req('x'), req('x')]);
    assert.deepEqual(r.placed.map((p) => p.hostId), ['a', 'b', 'a']);
    assert.equal(r.unplaced.length, 1);
  });
});

/** The placement rule written out plainly, to check the fast path against. */
function exhaustive(hosts: HostCapacity[], requests: PlacementRequest[], existing: Map<string, Map<string, number>>): string[] {
  const free = new Map(hosts.map((h) => [h.id, h.freeBytes]));
  const count = (id: string, key: string): number => existing.get(key)?.get(id) ?? 0;
  const out: string[] = [];
  for (const r of requests) {
    const fits = hosts.filter((h) => (free.get(h.id) ?? 0) >= r.memoryBytes);
    fits.sort((a, b) => count(a.id, r.key) - count(b.id, r.key) || (free.get(b.id) ?? 0) - (free.get(a.id) ?? 0) || (a.id < b.id ? -1 : 1));
    const best = fits[0];
    if (!best) continue;
    free.set(best.id, (free.get(best.id) ?? 0) - r.memoryBytes);
    const m = existing.get(r.key) ?? new Map<string, number>();
    m.set(best.id, count(best.id, r.key) + 1);
    existing.set(r.key, m);
    out.push(best.id);
  }
  return out;
}
