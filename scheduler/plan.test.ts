import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredApp } from '../controller';
import type { JobInfo } from '../shared';
import { CrashBackoff } from './backoff';
import { plan } from './plan';

const desired = (version: number, web: number, extra: Partial<DesiredApp> = {}): DesiredApp => ({
  app: 'hello',
  release: { version, image: `paas/hello:${version}`, process_types: { web: 'node server.js', worker: 'node w.js' }, config: {}, launcher: 'buildpack' },
  formation: [
    { type: 'web', quantity: web, size: 'standard' },
    { type: 'worker', quantity: 0, size: 'standard' },
  ],
  ...extra,
});

const job = (id: string, release: number, state: JobInfo['state'] = 'up', type = 'web'): JobInfo => ({
  id,
  app: 'hello',
  release,
  processType: type,
  hostId: 'h1',
  state,
  startedAt: `2026-01-01T00:00:0${id.slice(-1)}Z`,
});

describe('plan', () => {
  test('starts what is missing', () => {
    assert.deepEqual(plan([desired(1, 2)], [job('a1', 1)]), { start: [{ app: 'hello', type: 'web', release: 1, count: 1 }], stop: [] });
  });

  test('stops the newest extras when scaled down', () => {
    const p = plan([desired(1, 1)], [job('a1', 1), job('a2', 1), job('a3', 1)]);
    assert.deepEqual(p.stop.map((j) => j.id), ['a3', 'a2']);
    assert.deepEqual(p.start, []);
  });

  test('keeps the old release running until the new one is up, then stops it', () => {
    const starting = plan([desired(2, 1)], [job('a1', 1), job('b1', 2, 'starting')]);
    assert.deepEqual(starting, { start: [], stop: [] });
    const up = plan([desired(2, 1)], [job('a1', 1), job('b1', 2, 'up')]);
    assert.deepEqual(up.stop.map((j) => j.id), ['a1']);
  });

  test('replaces crashed jobs and removes jobs of deleted apps', () => {
    const p = plan([desired(1, 1)], [job('a1', 1, 'crashed'), { ...job('x1', 1), app: 'gone' }]);
    assert.deepEqual(p.stop.map((j) => j.id).sort(), ['a1', 'x1']);
    assert.deepEqual(p.start, [{ app: 'hello', type: 'web', release: 1, count: 1 }]);
  });

  test('runs nothing for an app without a release or a type missing from the release', () => {
    assert.deepEqual(plan([{ app: 'hello', release: null, formation: [{ type: 'web', quantity: 1, size: 'standard' }] }], []), { start: [], stop: [] });
    const d = desired(1, 1);
    d.formation.push({ type: 'clock', quantity: 1, size: 'standard' });
    assert.deepEqual(plan([d], [job('a1', 1)]).start, []);
  });
});

describe('crash backoff (Flynn policy)', () => {
  test('first five restarts are immediate, then 10 s, then 30 s; a new release resets', () => {
    let now = 0;
    const b = new CrashBackoff(() => now);
    for (let i = 0; i < 5; i++) b.crashed('a', 'web', 1);
    assert.equal(b.delayMs('a', 'web', 1), 0);
    b.crashed('a', 'web', 1);
    assert.equal(b.delayMs('a', 'web', 1), 10_000);
    for (let i = 0; i < 9; i++) b.crashed('a', 'web', 1);
    assert.equal(b.delayMs('a', 'web', 1), 30_000);
    assert.equal(b.delayMs('a', 'web', 2), 0);
    now += 6 * 60_000;
    assert.equal(b.delayMs('a', 'web', 1), 0);
  });
});
