/**
 * The router's side of draining: the table keeps unrouted backends out even when a
 * later sync still lists them, and the unroute request (real NATS) is answered only
 * once the backends are out and the app's fresh route is in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import type { ControllerClient, Route } from '../controller';
import { silentLogger, subjects } from '../shared';
import { DrainingRouteTable, startRouterDrain } from './drain';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const route = (...ids: string[]): Route => ({ app: 'hello', domains: ['hello.paas.test'], backends: ids.map((id, i) => ({ id, ip: `10.0.0.${i + 1}`, port: 5000 })) });
const backends = (t: DrainingRouteTable): string[] => (t.lookup('hello.paas.test')?.backends ?? []).map((b) => b.id).sort();

describe('draining route table', () => {
  test('an unrouted backend stays out of later syncs until the controller stops listing it', () => {
    const t = new DrainingRouteTable();
    t.set(route('old1', 'old2'));
    assert.deepEqual(t.unroute(['old1']), ['hello']);
    assert.deepEqual(backends(t), ['old2']);
    t.set(route('old1', 'old2', 'new1'));
    assert.deepEqual(backends(t), ['new1', 'old2'], 'a sync that raced the unroute does not bring it back');
    t.replace([route('old1', 'old2', 'new1')]);
    assert.deepEqual(backends(t), ['new1', 'old2'], 'nor does a full reload');
    t.set(route('old2', 'new1'));
    assert.equal(t.isUnrouted('old1'), false, 'released once the controller forgot the job');
    assert.deepEqual(t.unroute(['unknown']), []);
  });
});

describe('router drain over NATS', () => {
  let nc: NatsConnection;
  before(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  after(() => nc.close());

  test('heartbeats with a stable id, and answers unroute after the fresh route is in', async () => {
    const table = new DrainingRouteTable();
    table.set(route('old1'));
    // The controller already lists the replacement: the router fetches it before replying.
    const client = { route: async () => route('old1', 'new1') } as unknown as ControllerClient;
    const beats = nc.subscribe(subjects.routerHeartbeat.name, { max: 2 });
    const drain = startRouterDrain(table, client, nc, silentLogger, 100);
    try {
      const ids = new Set<string>();
      for await (const m of beats) ids.add((JSONCodec().decode(m.data) as { routerId: string }).routerId);
      assert.deepEqual([...ids], [drain.routerId]);
      const reply = await nc.request(subjects.routerUnroute.name(drain.routerId), JSONCodec().encode({ jobIds: ['old1'] }), { timeout: 2_000 });
      assert.deepEqual(JSONCodec().decode(reply.data), { routerId: drain.routerId, unrouted: ['old1'] });
      assert.deepEqual(backends(table), ['new1']);
    } finally {
      drain.stop();
    }
  });
});
