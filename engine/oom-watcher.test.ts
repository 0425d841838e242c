import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKmsgRecord } from './oom-watcher';

test('parses kmsg records and finds OOM kills with their cgroup', () => {
  const line =
    '6,1234,423485908,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/paas/web-1,task_memcg=/paas/web-1,task=node,pid=16156,uid=1000\n';
  assert.deepEqual(parseKmsgRecord(line), { seq: 1234, oom: { seq: 1234, taskMemcg: '/paas/web-1' } });
  assert.deepEqual(parseKmsgRecord('5,7,100,-;Linux version 6.1\n'), { seq: 7 });
  assert.equal(parseKmsgRecord('garbage'), undefined);
});
