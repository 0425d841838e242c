import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { BuildLog, takeSpooledLogs } from './build-log';

test('the log reaches the pusher, is kept for the record, and spooled for a builder that dies', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-build-log-'));
  const out = new PassThrough();
  let seen = '';
  out.on('data', (d: Buffer) => (seen += d.toString()));
  const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
  const log = new BuildLog(out, path.join(dir, `${id}.log`));
  log.write('-----> one\n');
  log.write('       two ✓\n');
  assert.equal(seen, '-----> one\n       two ✓\n');
  assert.equal(log.text(), seen);
  assert.deepEqual(takeSpooledLogs(dir), { [id]: seen });
  assert.deepEqual(fs.readdirSync(dir), [], 'spooled logs are taken once');
  fs.rmSync(dir, { recursive: true });
});

test('over the bound the beginning is dropped and said so; a pusher gone does not stop it', () => {
  const out = new PassThrough();
  out.destroy();
  const log = new BuildLog(out, undefined, 10);
  for (const line of ['aaaa\n', 'bbbb\n', 'cccc\n']) log.write(line);
  assert.match(log.text(), /^\[the beginning of the log was dropped: it was longer than 10 bytes\]\nbbbb\ncccc\n$/);
});
