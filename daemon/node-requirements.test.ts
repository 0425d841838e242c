/** What a node with some roles needs from the cluster: each missing setting refused with its fix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROLES, type Role } from '../shared';
import { roleProblems } from './node-requirements';

const node = (roles: Role[], settings: { natsUrl?: string; controllerUrl?: string; controllerToken?: string; registryUrl?: string } = {}) => roleProblems({ roles, ...settings });
const CLUSTER = { natsUrl: 'nats://10.0.0.1:4222', controllerUrl: 'http://10.0.0.1:5000', controllerToken: 't', registryUrl: 'http://10.0.0.1:5002' };

test('every role on one node (paas up) needs nothing more: NATS is embedded', () => {
  assert.deepEqual(node([...ROLES]), []);
});

test('a control node (controller, scheduler, builder, registry) needs a registry URL for its builds, and nothing else', () => {
  assert.deepEqual(node(['controller', 'scheduler', 'builder', 'registry'], { natsUrl: CLUSTER.natsUrl, registryUrl: CLUSTER.registryUrl }), []);
  const problems = node(['controller', 'scheduler', 'builder', 'registry'], { natsUrl: CLUSTER.natsUrl });
  assert.deepEqual(problems.length, 1);
  assert.match(problems[0], /builder role without the host role .* set PAAS_REGISTRY_URL/);
});

test('a router without a controller needs NATS_URL, PAAS_CONTROLLER_URL and PAAS_CONTROLLER_TOKEN, each said', () => {
  const problems = node(['router']);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /the router role joins a cluster: set NATS_URL/);
  assert.match(problems[1], /the router role calls the API and this node runs no controller: set PAAS_CONTROLLER_URL/);
  assert.match(problems[2], /set PAAS_CONTROLLER_TOKEN to the system token/);
  assert.deepEqual(node(['router'], CLUSTER), []);
});

test('a host needs only NATS; a scheduler with the controller on the same node needs no URL', () => {
  assert.match(node(['host']).join('\n'), /the host role joins a cluster: set NATS_URL/);
  assert.deepEqual(node(['host'], { natsUrl: CLUSTER.natsUrl }), []);
  assert.deepEqual(node(['controller', 'scheduler'], { natsUrl: CLUSTER.natsUrl }), []);
  assert.match(node(['scheduler', 'router'], { natsUrl: CLUSTER.natsUrl, controllerToken: 't' }).join('\n'), /the scheduler, router roles call the API/);
});
