/** The balancing policies, with a scripted random source and clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Balancer, FAILED_BACKEND_PAUSE_MS } from './balancer';
import type { Backend, RouteEntry } from './table';

const backends = (n: number): Backend[] => Array.from({ length: n }, (_, i) => ({ id: `web.${i + 1}`, ip: '10.0.0.1', port: 5000 + i }));
const entryOf = (list: Backend[]): RouteEntry => ({ app: 'a', backends: list, next: 0 });
const ids = (bs: (Backend | undefined)[]): string[] => bs.map((b) => b?.id ?? 'none');

describe('balancer', () => {
  test('no backend, one backend', () => {
    for (const policy of ['round-robin', 'least-connections', 'p2c'] as const) {
      const b = new Balancer(policy);
      assert.equal(b.pick(entryOf([])), undefined);
      const only = backends(1);
      assert.equal(b.pick(entryOf(only)), only[0]);
    }
  });

  test('round-robin cycles whatever the load', () => {
    const b = new Balancer('round-robin');
    const e = entryOf(backends(3));
    b.start(e.backends[0]);
    assert.deepEqual(ids([1, 2, 3, 4].map(() => b.pick(e))), ['web.1', 'web.2', 'web.3', 'web.1']);
  });

  test('least-connections picks the least busy, and spreads ties evenly', () => {
    const b = new Balancer('least-connections');
    const e = entryOf(backends(3));
    assert.deepEqual(ids([1, 2, 3].map(() => b.pick(e))), ['web.1', 'web.2', 'web.3']);
    const d1 = b.start(e.backends[0]);
    b.start(e.backends[0]);
    b.start(e.backends[1]);
    assert.deepEqual(ids([1, 2].map(() => b.pick(e))), ['web.3', 'web.3']);
    d1();
    d1(); // a second call does not count twice
    assert.equal(b.active(e.backends[0]), 1);
  });

  test('power of two choices takes the less busy of two distinct random backends', () => {
    const rolls = [0.0, 0.0, 0.5, 0.9];
    const b = new Balancer('p2c', () => rolls.shift() ?? 0);
    const e = entryOf(backends(3));
    b.start(e.backends[0]);
    // First pair: web.1 (i=0) and web.2 (j=(0+1+0)%3=1); web.1 is busy, so web.2.
    assert.equal(b.pick(e)?.id, 'web.2');
    // Second pair: web.2 (i=1) and web.1 (j=(1+1+1)%3=0); web.1 is still busy, so web.2 again.
    assert.equal(b.pick(e)?.id, 'web.2');
  });

  test('in-flight counts are forgotten at zero, so removed jobs leave nothing behind', () => {
    const b = new Balancer('least-connections');
    const [x] = backends(1);
    const done = [b.start(x), b.start(x)];
    for (const d of done) d();
    assert.equal(b.active(x), 0);
    assert.equal((b as unknown as { inFlight: Map<string, number> }).inFlight.size, 0);
  });

  test('a backend whose connect failed is skipped for a while, unless it is the only one left', () => {
    let now = 1_000;
    for (const policy of ['round-robin', 'least-connections', 'p2c'] as const) {
      const b = new Balancer(policy, Math.random, () => now);
      const e = entryOf(backends(2));
      b.failed(e.backends[0]);
      for (let i = 0; i < 10; i++) assert.equal(b.pick(e)?.id, 'web.2', policy);
      b.failed(e.backends[1]);
      assert.ok(b.pick(e), 'all paused: still picks one');
      now += FAILED_BACKEND_PAUSE_MS + 1;
      const seen = new Set(ids(Array.from({ length: 20 }, () => b.pick(e))));
      assert.deepEqual([...seen].sort(), ['web.1', 'web.2'], policy);
    }
  });
});
