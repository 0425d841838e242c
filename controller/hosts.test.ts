import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostState } from '../cli/host-format';
import type { HostHeartbeat } from '../shared';
import { HostDirectory } from './hosts';

const beat = (at: string, restarting?: boolean): HostHeartbeat => ({
  hostId: 'host-1',
  address: '10.0.0.11',
  subnet: '10.200.1.0/24',
  memoryBytes: 8 << 30,
  cpus: 4,
  runtime: 'runc',
  jobs: [],
  at,
  ...(restarting ? { restarting } : {}),
});

function directory(): { hosts: HostDirectory; advance(ms: number): void } {
  let now = 1_000_000;
  return { hosts: new HostDirectory(() => now), advance: (ms) => (now += ms) };
}

test('a silent host is down after 10 s', () => {
  const { hosts, advance } = directory();
  hosts.heartbeat(beat('2026-12-01T08:00:00.000Z'));
  assert.equal(hostState({ ...hosts.list()[0]!, draining: false }), 'up');
  advance(10_001);
  assert.deepEqual({ alive: hosts.list()[0]!.alive, restarting: hosts.list()[0]!.restarting }, { alive: false, restarting: false });
  assert.equal(hostState({ ...hosts.list()[0]!, draining: false }), 'down');
});

test('a host whose agent said it is restarting stays alive, as restarting, for up to a minute; the next agent ends it', () => {
  const { hosts, advance } = directory();
  hosts.heartbeat(beat('2026-12-01T08:00:00.000Z'));
  hosts.heartbeat(beat('2026-12-01T08:00:01.000Z', true));
  // The stopping agent's own regular heartbeat, overtaken on the way: still restarting.
  hosts.heartbeat(beat('2026-12-01T08:00:00.500Z'));
  advance(30_000);
  assert.equal(hostState({ ...hosts.list()[0]!, draining: false }), 'restarting');
  advance(30_001);
  assert.equal(hostState({ ...hosts.list()[0]!, draining: false }), 'down', 'past the grace: down');
  hosts.heartbeat(beat('2026-12-01T08:01:02.000Z', true));
  advance(5_000);
  hosts.heartbeat(beat('2026-12-01T08:01:07.000Z'));
  const h = hosts.list()[0]!;
  assert.deepEqual({ alive: h.alive, restarting: h.restarting }, { alive: true, restarting: false }, 'the new agent is heard');
  advance(10_001);
  assert.equal(hosts.list()[0]!.alive, false, 'and silent again, it is down after 10 s');
});
