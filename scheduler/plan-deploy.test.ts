/** plan.ts under deploys, restarts, drains and returning hosts (plan.test.ts has the basics). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredApp } from '../controller';
import type { JobInfo } from '../shared';
import { plan } from './plan';

const desired = (version: number, web: number, worker = 0): DesiredApp => ({
  app: 'hello',
  release: { version, image: `paas/hello:${version}`, process_types: { web: 'node server.js', worker: 'node w.js' }, config: {}, launcher: 'buildpack' },
  formation: [
    { type: 'web', quantity: web, size: 'standard-1x' },
    { type: 'worker', quantity: worker, size: 'standard-1x' },
  ],
});

const job = (id: string, release: number, state: JobInfo['state'] = 'up', dyno = 'web.1', extra: Partial<JobInfo> = {}): JobInfo => ({
  id,
  app: 'hello',
  release,
  processType: dyno.split('.')[0],
  hostId: 'h1',
  state,
  dyno,
  ...extra,
});

const ids = (jobs: JobInfo[]): string[] => jobs.map((j) => j.id).sort();
const olds = (n: number): JobInfo[] => Array.from({ length: n }, (_, i) => job(`o${i + 1}`, 1, 'up', `web.${i + 1}`));

describe('plan: deploys', () => {
  test('preboot (default batch): the whole new formation starts, old jobs go when all new are up', () => {
    assert.deepEqual(plan([desired(2, 3)], olds(3)), { start: [{ app: 'hello', type: 'web', release: 2, count: 3 }], stop: [] });
    const partly = [...olds(3), job('n1', 2, 'up', 'web.1'), job('n2', 2, 'up', 'web.2'), job('n3', 2, 'starting', 'web.3')];
    assert.deepEqual(plan([desired(2, 3)], partly), { start: [], stop: [] });
    const all = [...olds(3), job('n1', 2, 'up', 'web.1'), job('n2', 2, 'up', 'web.2'), job('n3', 2, 'up', 'web.3')];
    assert.deepEqual(ids(plan([desired(2, 3)], all).stop), ['o1', 'o2', 'o3']);
  });

  test('one by one: one new job at a time, one old job per new job up', () => {
    const ctx = { batchSize: 1 };
    assert.deepEqual(plan([desired(2, 3)], olds(3), ctx).start, [{ app: 'hello', type: 'web', release: 2, count: 1 }]);
    assert.deepEqual(plan([desired(2, 3)], [...olds(3), job('n1', 2, 'starting')], ctx), { start: [], stop: [] });
    const oneUp = plan([desired(2, 3)], [...olds(3), job('n1', 2, 'up')], ctx);
    assert.deepEqual(oneUp.start, [{ app: 'hello', type: 'web', release: 2, count: 1 }]);
    assert.deepEqual(ids(oneUp.stop), ['o3'], 'the highest dyno number goes first');
    const twoUp = plan([desired(2, 3)], [job('o1', 1, 'up', 'web.1'), job('o2', 1, 'up', 'web.2'), job('n1', 2, 'up'), job('n2', 2, 'up', 'web.2')], ctx);
    assert.deepEqual(ids(twoUp.stop), ['o2']);
  });

  test('batches of two', () => {
    const p = plan([desired(2, 5)], olds(5), { batchSize: 2 });
    assert.deepEqual(p.start, [{ app: 'hello', type: 'web', release: 2, count: 2 }]);
  });

  test('a failed release: its jobs stop, nothing of it starts, the old formation stays', () => {
    const jobs = [...olds(2), job('n1', 2, 'up'), job('n2', 2, 'starting', 'web.2')];
    const p = plan([desired(2, 2)], jobs, { failed: (_app, v) => v === 2 });
    assert.deepEqual(p.start, []);
    assert.deepEqual(ids(p.stop), ['n1', 'n2']);
  });

  test('after the rollback, jobs of the failed release are old and go', () => {
    const p = plan([desired(1, 2)], [...olds(2), job('n1', 2, 'up')]);
    assert.deepEqual(ids(p.stop), ['n1']);
    assert.deepEqual(p.start, []);
  });

  test('a type removed from the formation stops with no replacement', () => {
    const p = plan([desired(2, 1, 0)], [job('n1', 2, 'up'), job('w1', 1, 'up', 'worker.1'), job('w2', 2, 'up', 'worker.1')]);
    assert.deepEqual(ids(p.stop), ['w1', 'w2']);
  });
});

describe('plan: restarts, drains, returning hosts, one-offs', () => {
  test("a web restart ('after'): replacement first, the old job once it is up", () => {
    const replace = (j: JobInfo) => (j.id === 'o2' ? ('after' as const) : undefined);
    const before = plan([desired(1, 2)], olds(2), { replace });
    assert.deepEqual(before, { start: [{ app: 'hello', type: 'web', release: 1, count: 1 }], stop: [] });
    const after = plan([desired(1, 2)], [...olds(2), job('r2', 1, 'up', 'web.2')], { replace });
    assert.deepEqual(ids(after.stop), ['o2']);
  });

  test("a worker restart ('before'): stop now, start at once", () => {
    const jobs = [job('w1', 1, 'up', 'worker.1')];
    const p = plan([desired(1, 0, 1)], jobs, { replace: () => 'before' });
    assert.deepEqual(ids(p.stop), ['w1']);
    assert.deepEqual(p.start, [{ app: 'hello', type: 'worker', release: 1, count: 1 }]);
  });

  test('jobs on a drained host move: start elsewhere first, then stop', () => {
    const jobs = [job('a', 1, 'up', 'web.1', { hostId: 'drained' }), job('b', 1, 'up', 'web.2', { hostId: 'ok' })];
    const ctx = { replace: (j: JobInfo) => (j.hostId === 'drained' ? ('after' as const) : undefined) };
    assert.deepEqual(plan([desired(1, 2)], jobs, ctx), { start: [{ app: 'hello', type: 'web', release: 1, count: 1 }], stop: [] });
    assert.deepEqual(ids(plan([desired(1, 2)], [...jobs, job('c', 1, 'up', 'web.1', { hostId: 'ok' })], ctx).stop), ['a']);
  });

  test('a host that comes back: its duplicates go, not the replacements', () => {
    const back = [job('old1', 1, 'up', 'web.1', { hostId: 'back' }), job('old2', 1, 'up', 'web.2', { hostId: 'back' })];
    const replacements = [job('new1', 1, 'up', 'web.1', { hostId: 'h2' }), job('new2', 1, 'up', 'web.2', { hostId: 'h3' })];
    const p = plan([desired(1, 2)], [...replacements, ...back], { stopFirst: (j) => j.hostId === 'back' });
    assert.deepEqual(ids(p.stop), ['old1', 'old2']);
  });

  test('two processes of a release under one name (a start placed again after its request timed out): the later goes, a free name starts', () => {
    const jobs = [job('a', 1, 'up', 'web.1'), job('b', 1, 'up', 'web.2', { startedAt: '2026-01-01T00:00:01Z' }), job('c', 1, 'up', 'web.2', { startedAt: '2026-01-01T00:00:05Z' })];
    const p = plan([desired(1, 4)], jobs);
    assert.deepEqual(ids(p.stop), ['c']);
    assert.deepEqual(p.start, [{ app: 'hello', type: 'web', release: 1, count: 2 }]);
    // One still starting gives way to the one up, whatever their ages.
    const q = plan([desired(1, 2)], [job('a', 1, 'up', 'web.1'), job('d', 1, 'starting', 'web.1', { startedAt: '2026-01-01T00:00:00Z' })]);
    assert.deepEqual(ids(q.stop), ['d']);
  });

  test('scale down removes the highest dyno numbers', () => {
    const p = plan([desired(1, 2)], olds(4));
    assert.deepEqual(ids(p.stop), ['o3', 'o4']);
  });

  test('one-off jobs are no part of the formation', () => {
    const run = job('run1', 1, 'up', 'run.4821', { oneOff: true });
    assert.deepEqual(plan([desired(1, 1)], [job('o1', 1), run]), { start: [], stop: [] });
  });
});
