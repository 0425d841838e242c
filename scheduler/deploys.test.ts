/** Every transition of the deploy state machine (deploys.ts), with a fake clock. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DesiredApp } from '../controller';
import type { JobInfo } from '../shared';
import { Deploys, failureReason } from './deploys';

type Status = 'pending' | 'succeeded' | 'failed';
const desired = (version: number, web: number, status: Status = 'pending', previousVersion: number | null = null): DesiredApp => ({
  app: 'hello',
  release: { version, image: `paas/hello:${version}`, process_types: { web: 'node server.js' }, config: {}, launcher: 'buildpack', status },
  previousVersion,
  formation: [{ type: 'web', quantity: web, size: 'standard-1x' }],
});
const job = (id: string, release: number, state: JobInfo['state'] = 'up', extra: Partial<JobInfo> = {}): JobInfo => ({ id, app: 'hello', release, processType: 'web', hostId: 'h1', state, dyno: 'web.1', ...extra });

describe('deploys', () => {
  test('none → running → succeeded once the new formation is up and the old jobs are gone', () => {
    const d = new Deploys();
    const start = d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]);
    assert.deepEqual(start.map((t) => t.kind), ['start']);
    assert.equal(start[0].deploy.from, 1);
    assert.equal(d.running('hello'), true);
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('o1', 1), job('n1', 2, 'starting')]), []);
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('o1', 1), job('n1', 2, 'up')]), [], 'old still running');
    const done = d.observe(desired(2, 1, 'pending', 1), [job('n1', 2, 'up')]);
    assert.deepEqual(done.map((t) => t.kind), ['succeeded']);
    assert.equal(d.running('hello'), false);
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('n1', 2, 'up')]), [], 'reported once');
  });

  test('the first release deploys from nothing; from is inferred from old jobs without previousVersion', () => {
    const first = new Deploys().observe(desired(1, 1), []);
    assert.equal(first[0].kind, 'start');
    assert.equal(first[0].deploy.from, null);
    const inferred = new Deploys().observe({ ...desired(3, 1), previousVersion: undefined }, [job('o', 2)]);
    assert.equal(inferred[0].deploy.from, 2);
  });

  test('a release the controller calls succeeded needs no deploy (scheduler restart)', () => {
    const d = new Deploys();
    assert.deepEqual(d.observe(desired(2, 1, 'succeeded', 1), [job('n1', 2)]), []);
    assert.equal(d.running('hello'), false);
  });

  test('running → failed after 5 failed starts, with the reason of the last one', () => {
    const d = new Deploys();
    d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]);
    for (let i = 1; i <= 4; i++) d.crashed(job(`n${i}`, 2, 'crashed', { exitCode: 1 }));
    d.crashed(job('n4', 2, 'crashed', { exitCode: 1 }));
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]), [], 'the same job counts once');
    d.crashed(job('n5', 2, 'crashed', { reason: 'failed its health check GET /health (5 attempts)' }));
    const t = d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]);
    assert.equal(t[0].kind, 'failed');
    assert.equal(t[0].kind === 'failed' && t[0].reason, '5 failed starts; last: web.1: failed its health check GET /health (5 attempts)');
    assert.equal(d.isFailed('hello', 2), true);
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]), [], 'a failed release does not deploy again');
  });

  test('during a deploy, failed plus starting jobs stay within the allowance', () => {
    const d = new Deploys();
    assert.equal(d.startBudget('hello', 2, 0, 5), Number.POSITIVE_INFINITY, 'no deploy: no limit');
    d.observe(desired(2, 5, 'pending', 1), [job('o1', 1)]);
    assert.equal(d.startBudget('hello', 2, 0, 5), 5);
    d.crashed(job('n1', 2, 'crashed'));
    assert.equal(d.startBudget('hello', 2, 4, 5), 0, 'four still starting: no replacement yet');
    assert.equal(d.startBudget('hello', 2, 0, 5), 4, 'four up: the crashed one is replaced');
    assert.equal(d.startBudget('hello', 2, 0, 10), 9, 'a larger formation is the allowance');
    assert.equal(d.startBudget('hello', 1, 0, 5), Number.POSITIVE_INFINITY, 'other releases are not limited');
  });

  test('crashed jobs seen in a listing count as failed starts; old-release crashes do not', () => {
    const d = new Deploys({ maxFailedStarts: 2 });
    d.observe(desired(2, 1, 'pending', 1), []);
    d.crashed(job('o1', 1, 'crashed'));
    assert.deepEqual(d.observe(desired(2, 1, 'pending', 1), [job('n1', 2, 'crashed', { oomKilled: true })]), []);
    const t = d.observe(desired(2, 1, 'pending', 1), [job('n1', 2, 'crashed'), job('n2', 2, 'crashed', { exitCode: 0 })]);
    assert.equal(t[0].kind, 'failed');
  });

  test('running → failed at the deploy timeout, naming what is missing', () => {
    let now = 0;
    const d = new Deploys({ timeoutMs: 120_000, now: () => now });
    d.observe(desired(2, 2, 'pending', 1), [job('o1', 1)]);
    now = 120_000;
    assert.deepEqual(d.observe(desired(2, 2, 'pending', 1), [job('o1', 1), job('n1', 2, 'up')]), []);
    now = 120_001;
    const t = d.observe(desired(2, 2, 'pending', 1), [job('o1', 1), job('n1', 2, 'up'), job('n2', 2, 'starting')]);
    assert.equal(t[0].kind === 'failed' && t[0].reason, 'timed out after 120 s (web: 1 of 2 up)');
  });

  test('running → superseded by a newer release, which starts its own deploy from the last good one', () => {
    const d = new Deploys();
    d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]);
    const t = d.observe(desired(3, 1, 'pending', 1), [job('o1', 1), job('n1', 2, 'starting')]);
    assert.deepEqual(t.map((x) => x.kind), ['superseded', 'start']);
    assert.equal(t[1].deploy.release, 3);
    assert.equal(t[1].deploy.from, 1);
  });

  test('after a failure the rollback to the previous release is not a deploy', () => {
    const d = new Deploys({ maxFailedStarts: 1 });
    d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)]);
    d.crashed(job('n1', 2, 'crashed'));
    assert.equal(d.observe(desired(2, 1, 'pending', 1), [job('o1', 1)])[0].kind, 'failed');
    // The controller put v1 back; a v2 job may still be on its way out.
    assert.deepEqual(d.observe(desired(1, 1, 'succeeded', null), [job('o1', 1), job('n9', 2, 'up')]), []);
    // And the next deploy can start at once.
    assert.equal(d.observe(desired(3, 1, 'pending', 1), [job('o1', 1)])[0].kind, 'start');
  });

  test('a release the controller marked failed is not deployed', () => {
    const d = new Deploys();
    assert.deepEqual(d.observe(desired(2, 1, 'failed', 1), [job('o1', 1)]), []);
    assert.equal(d.isFailed('hello', 2), true);
  });

  test('an app that loses its release ends its deploy quietly', () => {
    const d = new Deploys();
    d.observe(desired(1, 1), []);
    const t = d.observe({ app: 'hello', release: null, formation: [] }, []);
    assert.deepEqual(t.map((x) => x.kind), ['superseded']);
  });

  test('failure reasons a user can act on', () => {
    assert.equal(failureReason(job('a', 1, 'crashed', { exitCode: 3 })), 'web.1: exited with status 3');
    assert.equal(failureReason(job('a', 1, 'crashed', { oomKilled: true, exitCode: 137 })), 'web.1: ran out of memory and was killed (Error R15)');
    assert.equal(failureReason(job('a', 1, 'crashed', { dyno: undefined })), 'web: crashed');
  });
});
