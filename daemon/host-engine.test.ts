import assert from 'node:assert/strict';
import { test } from 'node:test';
import { natsHosts } from './host-engine';

test("NATS_URL's servers are control-plane nodes for the hosts' firewalls, loopback aside", () => {
  assert.deepEqual(natsHosts('nats://10.86.0.1:4222'), ['10.86.0.1']);
  assert.deepEqual(natsHosts('nats://user:secret@10.0.0.5:4222, tls://cp.internal:4222,10.0.0.6'), ['10.0.0.5', 'cp.internal', '10.0.0.6']);
  assert.deepEqual(natsHosts('nats://127.0.0.1:4250,nats://localhost:4222'), []);
  assert.deepEqual(natsHosts(undefined), []);
});
