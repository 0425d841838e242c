import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostHeartbeat, JobInfo } from '../shared';
import { ClusterPeers } from './agent-peers';

const job = (id: string, app: string, ip: string | undefined, state: JobInfo['state'] = 'up'): JobInfo => ({ id, app, release: 1, processType: 'web', hostId: 'x', state, ip });
const beat = (hostId: string, address: string, subnet: string | undefined, jobs: JobInfo[]): HostHeartbeat => ({
  hostId,
  address,
  subnet,
  memoryBytes: 1,
  cpus: 1,
  runtime: 'runc',
  jobs,
  at: new Date().toISOString(),
});

test("other hosts' heartbeats give their containers by app, their subnets and their addresses as nodes", () => {
  const c = new ClusterPeers('me', ['10.0.0.1', '10.0.1.0/24']);
  c.heard(beat('h2', '10.0.0.2', '10.87.2.0/24', [job('a', 'shop', '10.87.2.3'), job('b', 'blog', '10.87.2.2'), job('c', 'shop', '10.87.2.4', 'crashed')]), 1000);
  c.heard(beat('h3', '10.0.0.3', '10.87.3.0/24', [job('d', 'shop', '10.87.3.2'), job('e', 'shop', '10.87.3.9', 'down'), job('f', 'shop', undefined)]), 1000);
  assert.deepEqual(c.peers(2000), {
    // A crashed job's container still holds its address; a down one's is gone.
    remote: { shop: ['10.87.2.3', '10.87.2.4', '10.87.3.2'], blog: ['10.87.2.2'] },
    peerSubnets: ['10.87.2.0/24', '10.87.3.0/24'],
    nodes: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.0/24'],
  });
});

test("this host's own heartbeat adds nothing (the engine knows its containers), and a silent host is forgotten", () => {
  const c = new ClusterPeers('me', ['10.0.0.1'], 15_000);
  c.heard(beat('me', '10.0.0.1', '10.87.1.0/24', [job('a', 'shop', '10.87.1.2')]), 0);
  c.heard(beat('h2', '10.0.0.2', '10.87.2.0/24', [job('b', 'shop', '10.87.2.2')]), 0);
  assert.deepEqual(c.peers(15_000).remote, { shop: ['10.87.2.2'] });
  assert.deepEqual(c.peers(15_001), { remote: {}, peerSubnets: [], nodes: ['10.0.0.1'] });
  // A newer heartbeat replaces the host's whole list.
  c.heard(beat('h2', '10.0.0.2', '10.87.2.0/24', [job('c', 'blog', '10.87.2.5')]), 20_000);
  assert.deepEqual(c.peers(20_000).remote, { blog: ['10.87.2.5'] });
});
