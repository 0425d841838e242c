import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '../shared';
import { isJob, isOneOff, jobContainerSpec, jobDyno, jobHealthCheck, jobInfoOf, jobStopGraceMs } from './job-mapping';
import type { ContainerInfo } from './types';

const job: JobSpec = {
  id: 'web-1',
  app: 'demo',
  release: 4,
  processType: 'web',
  image: 'demo:v4',
  cmd: ['bash', '-c', 'npm start'],
  env: { A: '1' },
  memoryBytes: 512 << 20,
  port: 5000,
};

test('a job becomes a bridged container run as 1000 with PORT and labels', () => {
  const spec = jobContainerSpec(job);
  assert.equal(spec.id, 'web-1');
  assert.deepEqual(spec.user, { uid: 1000, gid: 1000 });
  assert.equal(spec.network, 'bridge');
  assert.equal(spec.env!.PORT, '5000');
  assert.equal(spec.env!.A, '1');
  assert.equal(spec.memoryBytes, 512 << 20);
  const info: ContainerInfo = { id: 'web-1', image: 'demo:v4', state: 'running', labels: spec.labels!, ip: '10.0.0.2', createdAt: 'x' };
  assert.ok(isJob(info));
  const ji = jobInfoOf(info, 'host-a', undefined);
  assert.deepEqual(ji, { id: 'web-1', app: 'demo', release: 4, processType: 'web', hostId: 'host-a', state: 'starting', ip: '10.0.0.2', port: 5000, memoryBytes: 512 << 20 });
  assert.equal(jobInfoOf(info, 'h', 'up').state, 'up');
  assert.equal(jobInfoOf({ ...info, state: 'stopped', exitCode: 1 }, 'h', 'up').state, 'crashed');
  assert.equal(jobInfoOf({ ...info, state: 'stopped' }, 'h', 'down').state, 'down');
  assert.equal(jobContainerSpec({ ...job, port: undefined }).env!.PORT, undefined);
});

test('dyno, one-off, size, health check and stop grace survive in labels', () => {
  const spec = jobContainerSpec({
    ...job,
    dyno: 'web.2',
    cpus: 0.5,
    healthCheck: { path: '/health', attempts: 3 },
    stopGraceMs: 12_000,
  });
  assert.equal(spec.env!.DYNO, 'web.2');
  assert.deepEqual(spec.cpu, { shares: 512, cpus: 0.5 });
  const c: ContainerInfo = { id: 'web-1', image: 'demo:v4', state: 'running', labels: spec.labels!, ip: '10.0.0.2', createdAt: 'x' };
  assert.equal(jobDyno(c), 'web.2');
  assert.deepEqual(jobHealthCheck(c), { path: '/health', attempts: 3 });
  assert.equal(jobStopGraceMs(c), 12_000);
  assert.equal(isOneOff(c), false);
  const up = jobInfoOf(c, 'h', 'up', 'ignored while up');
  assert.equal(up.dyno, 'web.2');
  assert.equal(up.memoryBytes, 512 << 20);
  assert.equal(up.reason, undefined);
  const crashed = jobInfoOf({ ...c, state: 'stopped', exitCode: 137 }, 'h', 'crashed', 'health check GET /health failed after 3 attempts (last: status 503)');
  assert.equal(crashed.state, 'crashed');
  assert.match(crashed.reason!, /health check GET \/health/);
  // No cpus: no cpu limit; no dyno: the job id names it.
  assert.equal(jobContainerSpec(job).cpu, undefined);
  assert.equal(jobDyno({ ...c, labels: jobContainerSpec(job).labels! }), 'web-1');
  assert.equal(jobHealthCheck({ ...c, labels: { ...c.labels, 'io.paas.health-check': 'not json' } }), undefined);
});

test('an ended one-off is down, never crashed', () => {
  const spec = jobContainerSpec({ ...job, id: 'run-1', processType: 'run', dyno: 'run.1', oneOff: true, port: undefined });
  const c: ContainerInfo = { id: 'run-1', image: 'demo:v4', state: 'stopped', exitCode: 7, labels: spec.labels!, createdAt: 'x' };
  const info = jobInfoOf(c, 'h', 'up');
  assert.deepEqual([info.state, info.exitCode, info.oneOff, info.dyno], ['down', 7, true, 'run.1']);
  assert.equal(jobInfoOf({ ...c, state: 'running' }, 'h', 'up').state, 'up');
});
