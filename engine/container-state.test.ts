import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, toInfo, transition, type ContainerRecord } from './container-state';
import { InvalidTransitionError } from './errors';

const record = (state: ContainerRecord['state']): ContainerRecord => ({
  id: 'c1',
  spec: { id: 'c1', image: 'x:1', labels: { a: 'b' } },
  state,
  createdAt: '2024-01-01T00:00:00.000Z',
});

test('allowed transitions: created→running→stopped→running/removed', () => {
  assert.ok(canTransition('created', 'running'));
  assert.ok(canTransition('created', 'removed'));
  assert.ok(canTransition('running', 'stopped'));
  assert.ok(canTransition('stopped', 'running'));
  assert.ok(canTransition('stopped', 'removed'));
});

test('invalid transitions throw InvalidTransitionError with a code', () => {
  for (const [from, to] of [
    ['running', 'removed'],
    ['running', 'created'],
    ['removed', 'running'],
    ['stopped', 'stopped'],
    ['created', 'stopped'],
  ] as const) {
    const r = record(from);
    assert.throws(() => transition(r, to), (err: unknown) => err instanceof InvalidTransitionError && err.code === 'invalid_transition');
    assert.equal(r.state, from, 'state unchanged after a refused transition');
  }
});

test('toInfo exposes pid only while running', () => {
  const r = record('running');
  r.pid = 42;
  r.ip = '10.0.0.2';
  assert.equal(toInfo(r).pid, 42);
  assert.equal(toInfo(r).ip, '10.0.0.2');
  assert.deepEqual(toInfo(r).labels, { a: 'b' });
  transition(r, 'stopped');
  assert.equal(toInfo(r).pid, undefined);
});
