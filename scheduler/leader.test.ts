/**
 * The leader lock against the machine's NATS (127.0.0.1:4222, JetStream on): one
 * leader at a time, takeover after the holder stops renewing, and a restarted
 * instance reclaiming its own lock at once. A bucket of its own per run.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { silentLogger } from '../shared';
import { startLeaderElection } from './leader';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('leader lock (real NATS JetStream KV)', () => {
  let nc: NatsConnection;
  const bucket = `paas_sched_test_${crypto.randomBytes(4).toString('hex')}`;

  before(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  after(async () => {
    await nc.jetstreamManager().then((m) => m.streams.delete(`KV_${bucket}`)).catch(() => undefined);
    await nc.close();
  });

  test('one leads; the other takes over once the leader stops renewing; a restart reclaims its own lock', async () => {
    const opts = { nc, log: silentLogger, bucket, ttlMs: 2_000, renewMs: 300 };
    const a = startLeaderElection({ ...opts, instanceId: 'a' });
    await a.ready;
    const b = startLeaderElection({ ...opts, instanceId: 'b' });
    await b.ready;
    await until('a to lead', () => a.isLeader());
    for (let i = 0; i < 5; i++) {
      assert.equal(b.isLeader(), false, 'never two leaders');
      await sleep(300);
    }
    // a goes away without deleting its key (a crash): b waits for the entry to expire.
    const kv = await nc.jetstream().views.kv(bucket);
    await a.stop();
    await kv.put('leader', 'a');
    await until('b to take over', () => b.isLeader(), 8_000);
    await b.stop();
    // b "restarts" with the same id while its entry is still there: it leads at once.
    await kv.put('leader', 'b');
    const b2 = startLeaderElection({ ...opts, instanceId: 'b' });
    await b2.ready;
    await until('restarted b to lead', () => b2.isLeader(), 2_000);
    const c = startLeaderElection({ ...opts, instanceId: 'c' });
    await c.ready;
    await sleep(600);
    assert.equal(c.isLeader(), false);
    await b2.stop();
    await until('c to lead after b2 gave the lock up', () => c.isLeader(), 3_000);
    await c.stop();
  });
});
