/**
 * Heroku's router queueing: at most N requests in flight per web process, then a backlog
 * of N per process, then H11. Unit tests with a fake clock-free picker, and the same
 * limits live through the proxy against a real backend that holds its requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../shared';
import { Backlog } from './backlog';
import { Balancer } from './balancer';
import { createProxyServer } from './proxy';
import { RouteTable, type Backend, type RouteEntry } from './table';

/** A response that records what the backlog did to it. */
class FakeRes {
  refused?: string;
  private closers: (() => void)[] = [];
  once(_event: 'close', f: () => void): this {
    this.closers.push(f);
    return this;
  }
  close(): void {
    for (const f of this.closers) f();
  }
}

describe('backlog', () => {
  const backends: Backend[] = [{ id: 'web.1', ip: '10.0.0.1', port: 5000 }, { id: 'web.2', ip: '10.0.0.2', port: 5000 }];

  const setup = (waitMs = 60_000) => {
    const entry: RouteEntry = { app: 'a', backends, next: 0 };
    const balancer = new Balancer('least-connections');
    const sent: string[] = [];
    const ends: (() => void)[] = [];
    const backlog = new Backlog({
      perBackend: 2,
      waitMs,
      pick: (e, limit) => balancer.pickUnder(e, limit),
      current: () => entry,
      refuse: (res, code) => ((res as unknown as FakeRes).refused = code),
    });
    const admit = (name: string): FakeRes => {
      const res = new FakeRes();
      backlog.admit(entry, res as unknown as http.ServerResponse, (b) => {
        sent.push(`${name}→${b.id}`);
        const done = balancer.start(b);
        ends.push(() => {
          done();
          backlog.release('a');
        });
      });
      return res;
    };
    return { backlog, sent, ends, admit };
  };

  test('up to the limit per process requests go at once; then they wait, in order; then H11', () => {
    const { backlog, sent, ends, admit } = setup();
    for (const n of ['r1', 'r2', 'r3', 'r4']) admit(n);
    assert.equal(sent.length, 4, 'two per process go at once');
    const waiting = ['r5', 'r6', 'r7', 'r8'].map(admit);
    assert.equal(backlog.depth('a'), 4, 'then a backlog of two per process');
    assert.equal(waiting.some((r) => r.refused), false);
    const over = admit('r9');
    assert.equal(over.refused, 'H11', 'beyond the backlog: H11 at once');
    ends[0]!();
    assert.equal(sent.at(-1), 'r5→web.1', 'a freed place goes to the first in line');
    ends[3]!();
    assert.equal(sent.at(-1), 'r6→web.2');
    assert.equal(backlog.depth('a'), 2);
  });

  test('a waiting client that goes away leaves the line; a newcomer does not overtake those waiting', () => {
    const { backlog, sent, ends, admit } = setup();
    for (const n of ['r1', 'r2', 'r3', 'r4']) admit(n);
    const gone = admit('gone');
    admit('next');
    gone.close();
    assert.equal(backlog.depth('a'), 1);
    ends[0]!();
    assert.equal(sent.at(-1), 'next→web.1');
    admit('late');
    assert.equal(sent.at(-1), 'next→web.1', 'the full processes take no newcomer');
    assert.equal(backlog.depth('a'), 1);
  });

  test('a request that waits longer than the first-byte timeout gets H12', async () => {
    const { backlog, admit } = setup(50);
    for (const n of ['r1', 'r2', 'r3', 'r4']) admit(n);
    const waiting = admit('r5');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(waiting.refused, 'H12');
    assert.equal(backlog.depth('a'), 0);
  });
});

describe('backlog through the proxy (real sockets)', () => {
  const table = new RouteTable();
  let proxy: http.Server;
  let proxyPort: number;
  let backend: http.Server;
  const held: http.ServerResponse[] = [];
  let hits = 0;

  before(async () => {
    backend = http.createServer((_req, res) => {
      hits++;
      held.push(res);
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    table.set({ app: 'busy', domains: ['busy.paas.test'], backends: [{ id: 'web.1', ip: '127.0.0.1', port: (backend.address() as AddressInfo).port }] });
    proxy = createProxyServer(table, silentLogger, { maxActivePerBackend: 3 });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as AddressInfo).port;
  });
  after(async () => {
    for (const res of held) res.destroy();
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    backend.closeAllConnections();
    await new Promise((r) => backend.close(r));
  });

  const get = (): Promise<{ status: number; code?: string; body: string }> =>
    new Promise((resolve, reject) => {
      http
        .get({ port: proxyPort, host: '127.0.0.1', path: '/', headers: { host: 'busy.paas.test' }, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, code: res.headers['x-paas-error'] as string | undefined, body }));
        })
        .on('error', reject);
    });

  const until = async (what: string, ok: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(ok(), what);
  };

  test('3 go to the process, 3 wait, the 7th gets H11; each waiting one is served as a place frees', async () => {
    const answers = Array.from({ length: 6 }, () => get());
    await until('three requests reach the backend', () => hits === 3);
    const refused = await get();
    assert.equal(refused.status, 503);
    assert.equal(refused.code, 'H11');
    assert.match(refused.body, /Backlog too deep/);
    assert.equal(hits, 3, 'the waiting ones have not reached the backend');
    for (let i = 0; i < 6; i++) {
      await until(`request ${i + 1} reached the backend`, () => held.length > i);
      held[i]!.end(`answer ${i + 1}`);
    }
    const bodies = (await Promise.all(answers)).map((a) => `${a.status} ${a.body}`).sort();
    assert.deepEqual(bodies, [1, 2, 3, 4, 5, 6].map((n) => `200 answer ${n}`));
    assert.equal(hits, 6);
  });
});
