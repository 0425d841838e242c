import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PaasError } from '../shared';
import { checkRepoSize, PushRateLimiter } from './push-limits';

test('the push rate is counted per app and user over a sliding hour, with when to retry', () => {
  let now = 1_000_000;
  const rate = new PushRateLimiter(3, () => now);
  rate.check('hello', 'a@x', false); // the ref advertisement only looks: not counted
  for (let i = 0; i < 3; i++) rate.check('hello', 'a@x', true);
  assert.throws(() => rate.check('hello', 'a@x', false), /at most 3/, 'the advertisement already refuses');
  assert.throws(() => rate.check('hello', 'a@x', true), (err: PaasError) => err.status === 429 && /at most 3 an hour\. Try again in 60 minutes\./.test(err.message));
  rate.check('hello', 'b@x', true);
  rate.check('other', 'a@x', true);
  now += 60 * 60 * 1000 + 1;
  rate.check('hello', 'a@x', true);
});

test('a repository at or over the size limit is refused with what to do', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-repo-size-'));
  fs.writeFileSync(path.join(dir, 'pack'), Buffer.alloc(64 * 1024));
  await checkRepoSize(dir, 'hello', 1024 * 1024);
  await assert.rejects(checkRepoSize(dir, 'hello', 32 * 1024), (err: PaasError) => err.code === 'repo_too_large' && err.status === 413 && /git filter-repo/.test(err.message));
  fs.rmSync(dir, { recursive: true });
});
