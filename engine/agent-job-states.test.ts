import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadJobStates, saveJobStates } from './agent-job-states';

describe("the agent's saved job states", () => {
  const dir = mkdtempSync(join(tmpdir(), 'paas-job-states-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('what is saved is loaded back', () => {
    const file = join(dir, 'a.json');
    saveJobStates(file, new Map([['j1', { state: 'up' as const }], ['j2', { state: 'crashed' as const, reason: 'Out of memory' }]]));
    assert.deepEqual([...loadJobStates(file)], [['j1', { state: 'up' }], ['j2', { state: 'crashed', reason: 'Out of memory' }]]);
  });

  test('a missing or unreadable file, or entries that are not states, give nothing: the agent re-checks', () => {
    assert.equal(loadJobStates(join(dir, 'none.json')).size, 0);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"j1": {"state": "up"');
    assert.equal(loadJobStates(bad).size, 0);
    writeFileSync(bad, JSON.stringify({ j1: { state: 'sleeping' }, j2: null, j3: { state: 'up' } }));
    assert.deepEqual([...loadJobStates(bad)], [['j3', { state: 'up' }]]);
  });
});
