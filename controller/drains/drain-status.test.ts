/** The retry delays of a failing drain. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff } from './drain-status';

describe('retry delays', () => {
  test('1 s doubling to 60 s, and 1 s again after a success', () => {
    const b = new Backoff();
    assert.deepEqual(Array.from({ length: 9 }, () => b.next()), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    b.reset();
    assert.equal(b.next(), 1_000);
  });
});
