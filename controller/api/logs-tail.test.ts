/**
 * A --tail client that reads slower than the app logs: the controller holds at most
 * TAIL_BUFFER_BYTES for it, drops past that, and says how many it dropped (L11) once the
 * client caught up, as Heroku's Logplex does.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { AppLogLine } from '../../shared';
import { TAIL_BUFFER_BYTES, tailWriter } from './logs';

const line = (n: number): AppLogLine => ({ app: 'shop', jobId: 'j', processType: 'web', hostId: 'h', stream: 'stdout', source: 'app', dyno: 'web.1', time: '2026-12-01T01:00:00.000Z', line: `line ${n} ${'x'.repeat(1000)}` });

test('a slow tail client: bounded, and told how many lines it lost (L11)', async () => {
  const out = new PassThrough({ highWaterMark: 16 * 1024 });
  const write = tailWriter(out, 'shop');
  // Nobody reads: the buffer fills to its bound, then lines are dropped.
  for (let i = 0; i < 3_000; i++) write(line(i));
  assert.ok(out.writableLength <= TAIL_BUFFER_BYTES + 2_000, `held ${out.writableLength} bytes`);
  // The client reads everything held, then a new line comes.
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await new Promise((r) => setImmediate(r));
  write(line(3_000));
  await new Promise((r) => setImmediate(r));
  const lines = text.split('\n').filter(Boolean);
  const notice = lines.find((l) => l.includes('Error L11'));
  assert.ok(notice, 'the notice is there');
  assert.match(notice, /^\S+ paas\[logplex\]: Error L11 \(Tail buffer overflow\) -> This tail session dropped (\d+) messages since 2026-12-01T01:00:00\.000000\+00:00$/);
  const dropped = Number(/dropped (\d+)/.exec(notice)![1]);
  const shown = lines.filter((l) => / app\[web\.1\]: line \d+/.test(l)).map((l) => Number(/line (\d+)/.exec(l)![1]));
  assert.equal(shown.length + dropped, 3_001, 'every line is either shown or counted');
  const bytesShown = (shown.length - 1) * 1_056;
  assert.ok(bytesShown > TAIL_BUFFER_BYTES * 0.9 && bytesShown < TAIL_BUFFER_BYTES + 64 * 1024, `${shown.length} shown: about the bound's worth`);
  assert.equal(shown.at(-1), 3_000, 'after the notice, lines flow again');
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b), 'in order');
});
