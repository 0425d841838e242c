import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { startProgress } from './progress';

test('without a terminal: a line per change of status, and the outcome on a line of its own', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const p = startProgress('Waiting for the processes', out);
  p.status('web 1/2 up');
  p.status('web 1/2 up');
  p.status('web 2/2 up');
  p.stop('done, web 2/2 up');
  assert.equal(text, 'Waiting for the processes... web 1/2 up\nWaiting for the processes... web 2/2 up\nWaiting for the processes... done, web 2/2 up\n');
});
