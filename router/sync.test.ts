/**
 * The route table's sync with a real nats-server and a hand-written controller: changes
 * arrive from events, the last good table is kept while the controller or NATS is away,
 * and the router catches up on its own once they are back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import type { ControllerClient, Route } from '../controller';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, publish, silentLogger, subjects, UnavailableError } from '../shared';
import { freePort } from '../test/helpers/ports';
import { syncRoutes, type RouteSync } from './sync';
import { RouteTable } from './table';

/** The controller's route API over a map; `away` makes every call fail as a stopped controller would. */
class FakeRoutes {
  readonly routes = new Map<string, Route>();
  away = false;
  calls = 0;

  set(app: string, ip: string): void {
    this.routes.set(app, { app, domains: [`${app}.paas.test`], backends: [{ id: `${app}-1`, ip, port: 5000, dyno: 'web.1' }] });
  }

  client(): ControllerClient {
    const answer = <T>(value: () => T): Promise<T> => {
      this.calls++;
      return this.away ? Promise.reject(new UnavailableError('connect ECONNREFUSED (the test stopped the controller)')) : Promise.resolve(value());
    };
    return {
      routes: () => answer(() => [...this.routes.values()]),
      route: (app: string) => answer(() => this.routes.get(app) ?? { app, domains: [], backends: [] }),
    } as unknown as ControllerClient;
  }
}

const ipOf = (table: RouteTable, app: string): string | undefined => table.lookup(`${app}.paas.test`)?.backends[0]?.ip;

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<number> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  return Number(process.hrtime.bigint() - started) / 1e6;
}

describe('route sync (real NATS, fake controller)', () => {
  let dir: string;
  let port: number;
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let publisher: NatsConnection;
  let sync: RouteSync;
  const table = new RouteTable();
  const ctl = new FakeRoutes();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-route-sync-'));
    port = await freePort();
    nats = await startEmbeddedNats(dir, port, silentLogger);
    nc = await connectNats(nats.url, 'router-sync-test', silentLogger);
    publisher = await connectNats(nats.url, 'controller-side', silentLogger);
    ctl.set('hello', '10.0.0.1');
    sync = syncRoutes(table, ctl.client(), nc, silentLogger, 60_000);
    await sync.ready;
  });
  after(async () => {
    sync?.stop();
    await nc?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const changed = (app: string): void => publish(publisher, subjects.routesChanged.name, subjects.routesChanged.schema, { app });

  test('a change announced on NATS is in the table at once (times in the diagnostics)', async (t) => {
    assert.equal(ipOf(table, 'hello'), '10.0.0.1', 'loaded at start');
    const times: number[] = [];
    for (let i = 2; i < 22; i++) {
      ctl.set('hello', `10.0.0.${i}`);
      changed('hello');
      times.push(await until(`10.0.0.${i} in the table`, () => ipOf(table, 'hello') === `10.0.0.${i}`));
    }
    times.sort((a, b) => a - b);
    t.diagnostic(`event → table: median ${times[10]!.toFixed(2)} ms, slowest ${times.at(-1)!.toFixed(2)} ms (the issue asks for under 100 ms)`);
  });

  test('with the controller away the last good table stays; it catches up once the controller is back, with no new event', async () => {
    ctl.away = true;
    ctl.set('hello', '10.0.1.1');
    changed('hello');
    await until('the failed fetch', () => ctl.calls > 0 && ipOf(table, 'hello') !== undefined);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(ipOf(table, 'hello'), '10.0.0.21', 'still the last good route');
    ctl.away = false;
    await until('the new route without any new event', () => ipOf(table, 'hello') === '10.0.1.1', 8_000);
  });

  test('with NATS away the table stays; after NATS returns the router reloads and has what changed meanwhile', async () => {
    await nats.stop();
    ctl.set('hello', '10.0.2.1');
    ctl.set('late', '10.0.2.2'); // an app created while NATS was down: its event was never seen
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(ipOf(table, 'hello'), '10.0.1.1');
    nats = await startEmbeddedNats(dir, port, silentLogger);
    await until('the reload after the reconnect', () => ipOf(table, 'hello') === '10.0.2.1' && ipOf(table, 'late') === '10.0.2.2', 15_000);
  });
});
