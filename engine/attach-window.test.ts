import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { frame, parseFrame } from '../shared';
import { OutputWindow } from './attach-window';

test('a frame is its type byte and its payload', () => {
  const f = frame(2, 'héllo');
  assert.equal(f[0], 2);
  const back = parseFrame(f);
  assert.deepEqual([back.type, back.payload.toString()], [2, 'héllo']);
  assert.deepEqual([parseFrame(frame(4)).type, parseFrame(frame(4)).payload.length], [4, 0]);
});

test('past the window, the source is paused until acknowledgements come', async () => {
  const window = new OutputWindow(1000);
  const sent: number[] = [];
  const out = window.writable((c) => sent.push(c.length));
  const source = new PassThrough({ highWaterMark: 100 });
  source.pipe(out);
  for (let i = 0; i < 50; i++) source.write(Buffer.alloc(100));
  await new Promise((r) => setTimeout(r, 50));
  const before = sent.reduce((a, b) => a + b, 0);
  // One chunk past the limit goes out, then the pipe waits: not all 5,000 bytes.
  assert.ok(before > 1000 && before <= 1100 + 100, `sent ${before}`);
  window.acked(before);
  await new Promise((r) => setTimeout(r, 50));
  const after = sent.reduce((a, b) => a + b, 0);
  assert.ok(after > before && after <= before + 1100 + 100, `then ${after}`);
  window.close();
  source.end();
  await new Promise((r) => out.on('finish', r));
  assert.equal(sent.reduce((a, b) => a + b, 0), 5000, 'close lets everything out');
});

test('stale or nonsense acknowledgements change nothing', () => {
  const window = new OutputWindow(10);
  const out = window.writable(() => undefined);
  let done = 0;
  out.write(Buffer.alloc(20), () => done++);
  window.acked(Number.NaN);
  window.acked(-5);
  assert.equal(done, 0);
});
