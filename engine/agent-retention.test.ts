import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobContainerSpec } from './job-mapping';
import { exitedToRemove } from './agent-retention';
import type { ContainerInfo } from './types';

const job = { app: 'demo', release: 1, image: 'demo:v1', env: {}, memoryBytes: 1 << 28 };
function container(id: string, state: ContainerInfo['state'], finishedAt: string | undefined, extra: Partial<Parameters<typeof jobContainerSpec>[0]> = {}): ContainerInfo {
  const labels = jobContainerSpec({ ...job, id, processType: 'worker', dyno: 'worker.1', ...extra }).labels!;
  return { id, image: 'demo:v1', state, labels, createdAt: '2026-01-01T00:00:00.000Z', finishedAt };
}

test('a crash loop keeps only the latest exited container of a dyno', () => {
  const a = container('a', 'stopped', '2026-01-01T00:00:01.000Z');
  const b = container('b', 'stopped', '2026-01-01T00:00:02.000Z');
  const c = container('c', 'stopped', '2026-01-01T00:00:03.000Z');
  const running = container('d', 'running', undefined);
  const otherDyno = container('e', 'stopped', '2026-01-01T00:00:00.500Z', { dyno: 'worker.2' });
  const otherApp = container('f', 'stopped', '2026-01-01T00:00:00.500Z', { app: 'other' });
  const oneOff = container('g', 'stopped', '2026-01-01T00:00:00.500Z', { oneOff: true });
  const all = [c, a, running, otherDyno, b, otherApp, oneOff];
  assert.deepEqual(exitedToRemove(all, c).map((x) => x.id), ['a', 'b']);
  assert.deepEqual(exitedToRemove(all, c, 2).map((x) => x.id), ['a']);
  assert.deepEqual(exitedToRemove(all, otherDyno), []);
});

test('jobs without dyno names share their process type slot', () => {
  const a = container('a', 'stopped', '2026-01-01T00:00:01.000Z', { dyno: undefined });
  const b = container('b', 'stopped', '2026-01-01T00:00:02.000Z', { dyno: undefined });
  assert.deepEqual(exitedToRemove([a, b], b).map((x) => x.id), ['a']);
});
