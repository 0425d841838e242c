import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateMinutes } from './aggregate';

test('minutes are aligned, edges excluded, and an hour has 60 points', () => {
  const now = Date.parse('2026-12-01T10:30:20Z');
  const m = aggregateMinutes('shop', [
    { kind: 'event', app: 'shop', dyno: 'web.1', time: '2026-12-01T10:30:05Z', event: 'crashed' },
    { kind: 'event', app: 'shop', dyno: 'web.1', time: '2026-12-01T09:30:59Z', event: 'crashed' },
    { kind: 'event', app: 'shop', dyno: 'web.1', time: '2026-12-01T09:31:00Z', event: 'crashed' },
  ], 60, now);
  assert.equal(m.points.length, 60);
  assert.equal(m.from, '2026-12-01T09:31:00.000Z');
  assert.equal(m.to, '2026-12-01T10:31:00.000Z');
  assert.equal(m.points[0]!.restarts, 1, 'the oldest minute holds 09:31:00; 09:30:59 is outside');
  assert.equal(m.points[59]!.time, '2026-12-01T10:30:00.000Z');
  assert.equal(m.points[59]!.restarts, 1);
  assert.equal(m.points.reduce((n, p) => n + p.restarts, 0), 2);
});
