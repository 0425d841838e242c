import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesce } from './coalesce';

/** A task whose runs the test finishes by hand, recording what state each run read. */
function gatedTask(read: () => number) {
  const seen: number[] = [];
  const gates: (() => void)[] = [];
  const task = (): Promise<void> => {
    seen.push(read());
    return new Promise<void>((resolve) => gates.push(resolve));
  };
  const finishOne = async (): Promise<void> => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
  };
  return { task, seen, finishOne };
}

test('calls during a run collapse into one more run, which reads the latest state', async () => {
  let state = 0;
  const g = gatedTask(() => state);
  const c = coalesce(g.task, { onError: (err) => assert.fail(String(err)) });
  const first = c.run();
  for (state = 1; state <= 5; state++) assert.equal(c.run(), first, 'a call meanwhile shares the promise of the runs in progress');
  await g.finishOne();
  await g.finishOne();
  await first;
  assert.deepEqual(g.seen, [0, 6], 'one run, then exactly one more that saw the last change');
});

test('a call after the runs ended starts a new run; idle() waits for the runs in progress', async () => {
  const g = gatedTask(() => 0);
  const c = coalesce(g.task, { onError: (err) => assert.fail(String(err)) });
  await c.idle();
  const p = c.run();
  let idle = false;
  void c.idle().then(() => (idle = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false);
  await g.finishOne();
  await p;
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, true);
  const q = c.run();
  assert.notEqual(q, p);
  await g.finishOne();
  await q;
  assert.equal(g.seen.length, 2);
});

test('a failing run goes to onError and does not stop the next one', async () => {
  const errors: unknown[] = [];
  let calls = 0;
  const c = coalesce(
    async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    },
    { onError: (err) => errors.push(err) },
  );
  const p = c.run();
  void c.run();
  await p;
  assert.equal(calls, 2);
  assert.equal(errors.length, 1);
  await c.run();
  assert.equal(calls, 3);
});

test('once stopped, no further run starts', async () => {
  let stopped = false;
  let calls = 0;
  const g = gatedTask(() => ++calls);
  const c = coalesce(g.task, { onError: (err) => assert.fail(String(err)), stopped: () => stopped });
  const p = c.run();
  void c.run();
  stopped = true;
  await g.finishOne();
  await p;
  await c.run();
  assert.equal(calls, 1, 'the run asked meanwhile and the call after the stop both stay undone');
});
