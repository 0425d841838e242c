import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jobSpec } from '../shared';
import { dynoIndex, jobId, nextDynoNames } from './dyno-names';

describe('dyno names', () => {
  test('new processes take the lowest free indexes', () => {
    assert.deepEqual(nextDynoNames('web', [], 3), ['web.1', 'web.2', 'web.3']);
    assert.deepEqual(nextDynoNames('web', ['web.1', 'web.3', undefined, 'worker.2'], 2), ['web.2', 'web.4']);
  });

  test('a replacement keeps the name of the process it replaces', () => {
    // web.2 crashed (or is being restarted): it is not among the names still taken.
    assert.deepEqual(nextDynoNames('web', ['web.1', 'web.3'], 1), ['web.2']);
  });

  test('indexes are read only from names of the same type', () => {
    assert.equal(dynoIndex('web.12', 'web'), 12);
    assert.equal(dynoIndex('worker.1', 'web'), undefined);
    assert.equal(dynoIndex('web.x', 'web'), undefined);
    assert.equal(dynoIndex(undefined, 'web'), undefined);
  });

  test('job ids are unique, valid container ids and say what they run', () => {
    const id = jobId('Hello_App', 'web.1', '3f9a0c21b4');
    assert.equal(id, 'hello-app-web-1-3f9a0c21b4');
    const long = jobId('a'.repeat(80), 'worker.10', '3f9a0c21b4');
    assert.ok(long.length <= 63, long);
    for (const x of [id, long]) assert.ok(jobSpec.shape.id.safeParse(x).success, x);
    assert.notEqual(jobId('a', 'web.1', '0000000001'), jobId('a', 'web.1', '0000000002'));
  });
});
