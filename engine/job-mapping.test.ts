import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobSpec } from '../shared';
import { isJob, jobContainerSpec, jobInfoOf } from './job-mapping';
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
  assert.deepEqual(ji, { id: 'web-1', app: 'demo', release: 4, processType: 'web', hostId: 'host-a', state: 'starting', ip: '10.0.0.2', port: 5000 });
  assert.equal(jobInfoOf(info, 'h', 'up').state, 'up');
  assert.equal(jobInfoOf({ ...info, state: 'stopped', exitCode: 1 }, 'h', 'up').state, 'crashed');
  assert.equal(jobInfoOf({ ...info, state: 'stopped' }, 'h', 'down').state, 'down');
  assert.equal(jobContainerSpec({ ...job, port: undefined }).env!.PORT, undefined);
});
