/**
 * `paas logs` underneath: lines published on NATS by hosts and routers are kept by
 * JetStream (a real nats-server) and served by the controller in Heroku's format, with
 * -n, --ps and --source, live with --tail, after a controller restart, and only to
 * those who may see the app.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, PaasError, publish, silentLogger, subjects, type AppLogLine } from '../shared';
import { freePort } from '../test/helpers/ports';
import type { ControllerClient } from './client';
import { startTestController, type TestController } from './test-fixture';

describe('app logs (real NATS JetStream, SQLite)', () => {
  let dir: string;
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let t: TestController;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-logs-'));
    nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
    nc = await connectNats(nats.url, 'logs-test', silentLogger);
    t = await startTestController('sqlite', { nc });
    for (const app of ['hello', 'noisy']) await t.admin.createApp(app);
  });
  after(async () => {
    await t?.close();
    await nc?.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let clock = Date.parse('2026-11-22T15:30:16.123Z');
  /** A line as a host's agent or a router publishes it. */
  const emit = (app: string, dyno: string, line: string, source: 'app' | 'paas' = 'app'): void => {
    clock += 1;
    const value: AppLogLine = { app, jobId: `${app}-${dyno}-x`, processType: dyno.split('.')[0]!, hostId: 'h1', stream: 'stdout', source, dyno, time: new Date(clock).toISOString().replace('Z', '456789Z').replace(/(\.\d{3})456789Z$/, '$1456789Z'), line };
    publish(nc, subjects.appLog.name(app), subjects.appLog.schema, value);
  };

  const read = async (client: ControllerClient, app: string, o: Parameters<ControllerClient['logs']>[1] = {}): Promise<string[]> => {
    let text = '';
    await client.logs(app, o, (s) => (text += s));
    return text.split('\n').filter(Boolean);
  };

  const until = async <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 100; i++) {
      const v = await fn();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  test("recent lines in Heroku's format, oldest first, filtered by process, type and source", async () => {
    emit('hello', 'web.1', 'listening on 5000');
    emit('hello', 'web.1', 'State changed from starting to up', 'paas');
    emit('hello', 'web.2', 'GET / 200');
    emit('hello', 'worker.1', 'job done');
    emit('hello', 'router', 'at=info method=GET path="/" host=hello.paas.test dyno=web.1 status=200', 'paas');
    const all = await until('5 lines stored', async () => {
      const lines = await read(t.admin, 'hello');
      return lines.length === 5 ? lines : undefined;
    });
    assert.match(all[0]!, /^2026-11-22T15:30:16\.124456\+00:00 app\[web\.1\]: listening on 5000$/);
    assert.deepEqual(all.map((l) => l.replace(/^\S+ /, '')), [
      'app[web.1]: listening on 5000',
      'paas[web.1]: State changed from starting to up',
      'app[web.2]: GET / 200',
      'app[worker.1]: job done',
      'paas[router]: at=info method=GET path="/" host=hello.paas.test dyno=web.1 status=200',
    ]);
    const strip = (ls: string[]): string[] => ls.map((l) => l.replace(/^\S+ /, ''));
    assert.deepEqual(strip(await read(t.admin, 'hello', { dyno: 'web.1' })), ['app[web.1]: listening on 5000', 'paas[web.1]: State changed from starting to up']);
    assert.deepEqual(strip(await read(t.admin, 'hello', { dyno: 'web' })), ['app[web.1]: listening on 5000', 'paas[web.1]: State changed from starting to up', 'app[web.2]: GET / 200']);
    assert.deepEqual(strip(await read(t.admin, 'hello', { source: 'paas' })), ['paas[web.1]: State changed from starting to up', 'paas[router]: at=info method=GET path="/" host=hello.paas.test dyno=web.1 status=200']);
    assert.deepEqual(strip(await read(t.admin, 'hello', { lines: 2 })), ['app[worker.1]: job done', 'paas[router]: at=info method=GET path="/" host=hello.paas.test dyno=web.1 status=200']);
    assert.deepEqual(await read(t.admin, 'hello', { lines: 0 }), []);
  });

  test('each app keeps its last 1,500 lines: a noisy app pushes out only its own', async () => {
    for (let i = 1; i <= 1_600; i++) emit('noisy', 'web.1', `line ${i}`);
    const kept = await until('the noisy app at its limit', async () => {
      const lines = await read(t.admin, 'noisy', { lines: 1_500 });
      return lines.length === 1_500 && lines.at(-1)!.endsWith('line 1600') ? lines : undefined;
    });
    assert.match(kept[0]!, /app\[web\.1\]: line 101$/, 'the oldest 100 went');
    assert.equal((await read(t.admin, 'hello')).length, 5, "the other app's lines are untouched");
  });

  test('--tail: the recent lines, then each new line as it is published, until the client stops', async () => {
    const ac = new AbortController();
    let text = '';
    const done = t.admin.logs('hello', { lines: 1, tail: true, dyno: 'web' }, (s) => (text += s), ac.signal);
    await until('the recent line', async () => (text.includes('GET / 200') ? true : undefined));
    const sent = Date.now();
    emit('hello', 'worker.1', 'not for this filter');
    emit('hello', 'web.2', 'a live line');
    await until('the live line', async () => (text.includes('a live line') ? true : undefined));
    const delay = Date.now() - sent;
    ac.abort();
    await done;
    assert.ok(!text.includes('not for this filter'), 'the filter applies to live lines too');
    assert.equal(text.split('\n').filter(Boolean).length, 2);
    console.log(`logs --tail: a published line reached the client in ${delay} ms`);
  });

  test('the lines survive a controller restart', async () => {
    await t.restart();
    const lines = await read(t.admin, 'hello', { dyno: 'web.2' });
    assert.deepEqual(lines.map((l) => l.replace(/^\S+ /, '')), ['app[web.2]: GET / 200', 'app[web.2]: a live line']);
  });

  test("the API's own lines: a config change and its release, by whom, as paas[api]", async () => {
    await t.admin.setConfig('hello', { GREETING: 'hi', OLD: null });
    const api = await until('the api lines', async () => {
      const lines = (await read(t.admin, 'hello', { dyno: 'api' })).map((l) => l.replace(/^\S+ /, ''));
      return lines.length >= 2 ? lines : undefined;
    });
    assert.deepEqual(api.slice(-2), ['paas[api]: Set GREETING config vars by admin@example.com', 'paas[api]: Release v1 created by admin@example.com']);
    assert.equal((await read(t.admin, 'hello', { source: 'app', dyno: 'api' })).length, 0, 'they are the platform\'s lines');
  });

  test("restarts and domains are in the API's lines too", async () => {
    await t.admin.restartDynos('hello');
    await t.admin.request('POST', '/apps/hello/domains', { hostname: 'www.hello.test' });
    await t.admin.request('DELETE', '/apps/hello/domains/www.hello.test');
    const api = await until('the restart and domain lines', async () => {
      const lines = (await read(t.admin, 'hello', { dyno: 'api' })).map((l) => l.replace(/^\S+ /, ''));
      return lines.length >= 5 ? lines : undefined;
    });
    assert.deepEqual(api.slice(-3), ['paas[api]: Restart by admin@example.com', 'paas[api]: Add www.hello.test domain by admin@example.com', 'paas[api]: Remove www.hello.test domain by admin@example.com']);
  });

  test('a destroyed app takes its lines with it: a new app of the same name starts with none', async () => {
    await t.admin.request('DELETE', '/apps/noisy');
    await t.admin.createApp('noisy');
    assert.deepEqual(await read(t.admin, 'noisy'), []);
    assert.equal((await read(t.admin, 'hello', { dyno: 'web.2' })).length, 2, 'other apps keep theirs');
  });

  test('bad options and apps one may not see are refused with what to do', async () => {
    const stranger = await t.user('stranger@example.com');
    await assert.rejects(read(stranger, 'hello'), (err: unknown) => err instanceof PaasError && (err.status === 403 || err.status === 404));
    await assert.rejects(read(t.admin, 'hello', { dyno: 'web 1; rm' }), (err: unknown) => err instanceof PaasError && err.status === 422 && /dyno \(web or web\.1\)/.test(err.message));
    await assert.rejects(read(t.admin, 'nope'), (err: unknown) => err instanceof PaasError && err.status === 404);
  });
});

describe('app logs without NATS', () => {
  test('are unavailable with a message that says why', async () => {
    const t = await startTestController('sqlite');
    try {
      await t.admin.createApp('quiet');
      await assert.rejects(t.admin.logs('quiet', {}, () => undefined), (err: unknown) => err instanceof PaasError && err.status === 503 && /NATS/.test(err.message));
    } finally {
      await t.close();
    }
  });
});
