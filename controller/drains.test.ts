/**
 * Log drains end to end: a real nats-server (JetStream), a test controller, and drain
 * receivers run by the test on 127.0.0.1 (syslog over TLS with a test CA, plain syslog,
 * HTTPS). Lines published the way hosts publish them arrive at each drain in order, in
 * Heroku's framing; a receiver that is down gets every line again, once and in order,
 * when it is back; removed drains stop; bad input and strangers are refused.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, PaasError, publish, silentLogger, subjects, type AppLogLine } from '../shared';
import { HttpsReceiver, makeTestCa, SyslogReceiver } from '../test/helpers/drain-receivers';
import { freePort } from '../test/helpers/ports';
import type { LogDrainView } from './api/drains';
import { DrainForwarder } from './drains/forwarder';
import { LOG_STREAM } from './logs/log-store';
import { DIALECTS, startTestController, type TestController } from './test-fixture';

const until = async <T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const refused = (status: number | number[], message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof PaasError, String(err));
  assert.ok(([] as number[]).concat(status).includes(err.status), `status ${err.status}: ${err.message}`);
  assert.match(err.message, message);
  return true;
};

for (const dialect of DIALECTS) {
  describe(`log drains (real NATS JetStream, ${dialect}, TLS and HTTPS receivers)`, () => {
    let dir: string;
    let caFile: string;
    let nats: EmbeddedNats;
    let nc: NatsConnection;
    let t: TestController;
    let secure: SyslogReceiver;
    let plain: SyslogReceiver;
    let web: HttpsReceiver;
    const drains: Record<'secure' | 'plain' | 'web', LogDrainView> = {} as never;

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-drains-'));
      const ca = makeTestCa(dir);
      caFile = ca.caFile;
      secure = new SyslogReceiver(await freePort(), ca);
      plain = new SyslogReceiver(await freePort());
      web = new HttpsReceiver(ca);
      await Promise.all([secure.start(), plain.start(), web.start()]);
      nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
      nc = await connectNats(nats.url, 'drains-test', silentLogger);
      t = await startTestController(dialect, { nc, drainsCaFile: ca.caFile });
      for (const app of ['hello', 'other']) await t.admin.createApp(app);
    });
    after(async () => {
      await t?.close();
      await nc?.close();
      await nats?.stop();
      await Promise.all([secure?.stop(), plain?.stop(), web?.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    let clock = Date.parse('2026-11-22T15:30:16.123Z');
    /** A line as a host's agent, a router or the API publishes it. */
    const emit = (app: string, dyno: string, line: string, o: { source?: 'app' | 'paas'; stream?: 'stdout' | 'stderr' } = {}): void => {
      clock += 1;
      const value: AppLogLine = { app, jobId: `${app}-${dyno}-x`, processType: dyno.split('.')[0]!, hostId: 'h1', stream: o.stream ?? 'stdout', source: o.source ?? 'app', dyno, time: new Date(clock).toISOString().replace('Z', '456789Z'), line };
      publish(nc, subjects.appLog.name(app), subjects.appLog.schema, value);
    };
    /** The message text after the nil MSGID and STRUCTURED-DATA. */
    const text = (m: string): string => m.slice(m.indexOf(' - - ') + 5);
    const all = () => ({ secure: secure.messages, plain: plain.messages, web: web.messages });

    test('drains are added with an id, a d.<uuid> token and the URL, and listed', async () => {
      drains.secure = await t.admin.addLogDrain('hello', secure.url);
      drains.plain = await t.admin.addLogDrain('hello', plain.url);
      drains.web = await t.admin.addLogDrain('hello', web.url);
      for (const d of Object.values(drains)) {
        assert.match(d.id, /^[0-9a-f-]{36}$/);
        assert.match(d.token, /^d\.[0-9a-f-]{36}$/);
        assert.equal(d.app.name, 'hello');
      }
      assert.deepEqual((await t.admin.logDrains('hello')).map((d) => d.url), [secure.url, plain.url, web.url]);
      assert.deepEqual(await t.admin.logDrains('other'), []);
    });

    test("every line of the app reaches every drain in order, in Heroku's framing; other apps' lines do not", async () => {
      emit('hello', 'web.1', 'listening on 5000');
      emit('other', 'web.1', 'not for hello');
      emit('hello', 'web.1', 'boom', { stream: 'stderr' });
      emit('hello', 'router', 'at=info method=GET path="/" status=200', { source: 'paas' });
      emit('hello', 'api', 'Release v4 created by ann@example.com', { source: 'paas' });
      const got = await until('4 lines at each drain', () => {
        const a = all();
        return Object.values(a).every((m) => m.length >= 4) ? a : undefined;
      });
      for (const [name, messages] of Object.entries(got) as ['secure' | 'plain' | 'web', string[]][]) {
        const token = drains[name].token;
        assert.deepEqual(messages, [
          `<14>1 2026-11-22T15:30:16.124456+00:00 ${token} app web.1 - - listening on 5000`,
          `<11>1 2026-11-22T15:30:16.126456+00:00 ${token} app web.1 - - boom`,
          `<14>1 2026-11-22T15:30:16.127456+00:00 ${token} paas router - - at=info method=GET path="/" status=200`,
          `<14>1 2026-11-22T15:30:16.128456+00:00 ${token} paas api - - Release v4 created by ann@example.com`,
        ], `${name} drain`);
      }
      const post = web.posts[0]!;
      assert.equal(post.headers['content-type'], 'application/logplex-1');
      assert.equal(post.headers['user-agent'], 'paas-logplex/1');
      assert.equal(post.headers['logplex-drain-token'], drains.web.token);
      assert.equal(Number(post.headers['logplex-msg-count']), post.messages.length);
      assert.match(String(post.headers['logplex-frame-id']), /^[0-9a-f]{32}$/);
      assert.equal(new Set(web.posts.map((p) => p.headers['logplex-frame-id'])).size, web.posts.length, 'each batch has its own frame id');
    });

    test('a burst larger than one batch (500) arrives whole and in order', async () => {
      const before = { secure: secure.messages.length, web: web.messages.length };
      for (let i = 1; i <= 1_200; i++) emit('hello', 'worker.1', `burst ${i}`);
      for (const [name, r] of [['secure', secure], ['web', web]] as const) {
        const lines = await until(`the burst at the ${name} drain`, () => (r.messages.length >= before[name] + 1_200 ? r.messages.slice(before[name]).map(text) : undefined));
        assert.deepEqual(lines, Array.from({ length: 1_200 }, (_, i) => `burst ${i + 1}`), `${name} drain`);
      }
      assert.ok(web.posts.every((p) => p.messages.length <= 500), 'at most 500 lines per POST');
    });

    test('retry: receivers down for a while get every line logged meanwhile, once and in order, when they are back', async () => {
      await until('the plain drain caught up', () => plain.messages.length >= 1_204);
      const before = { secure: secure.messages.length, plain: plain.messages.length, web: web.messages.length };
      web.failing = true;
      await secure.stop();
      // Let the forwarder see the closed connection, as a real receiver's restart would show it.
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 1; i <= 30; i++) emit('hello', 'web.1', `during the outage ${i}`);
      await until('the HTTPS endpoint refused a batch', () => web.refused > 0);
      const down = await until('both failures in the status', async () => {
        const list = await t.admin.logDrains('hello');
        return list.filter((d) => d.status?.last_error).length >= 2 ? list : undefined;
      });
      assert.match(down.find((d) => d.id === drains.web.id)!.status!.last_error!, /answered 500/);
      assert.match(down.find((d) => d.id === drains.secure.id)!.status!.last_error!, /ECONNREFUSED|closed/);
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(secure.messages.length, before.secure, 'nothing reached the stopped listener');
      assert.equal(web.messages.length, before.web, 'nothing was kept while the endpoint refused');
      web.failing = false;
      await secure.start();
      const expected = Array.from({ length: 30 }, (_, i) => `during the outage ${i + 1}`);
      for (const [name, r] of [['secure', secure], ['web', web], ['plain', plain]] as const) {
        await until(`the outage lines at the ${name} drain`, () => r.messages.length >= before[name] + 30, 30_000);
        // A little longer: a duplicate would come now.
        await new Promise((res) => setTimeout(res, 300));
        assert.deepEqual(r.messages.slice(before[name]).map(text), expected, `${name} drain: each line once, in order`);
      }
      const status = (await t.admin.logDrains('hello')).find((d) => d.id === drains.web.id)!.status!;
      assert.ok(status.delivered_lines >= 1_234, `delivered ${status.delivered_lines}`);
      assert.ok(status.last_success_at! > status.last_error_at!, 'the last success came after the last error');
    });

    test('with two controllers forwarding, one at a time delivers: every line once, in order, across a restart of one', async () => {
      // A second controller's forwarder, on its own NATS connection, reading the same drain table.
      const nc2 = await connectNats(nats.url, 'drains-test-2', silentLogger);
      const second = await DrainForwarder.open(nc2, silentLogger, caFile);
      second.start();
      try {
        const before = { secure: secure.messages.length, web: web.messages.length };
        web.maxInFlight = 0;
        const expected: string[] = [];
        // Short bursts with pauses: short batches, which would leave room for another controller's fetch.
        for (let burst = 1; burst <= 8; burst++) {
          for (let i = 1; i <= 40; i++) {
            emit('hello', 'web.1', `burst ${burst} line ${i}`);
            expected.push(`burst ${burst} line ${i}`);
          }
          if (burst === 4) await t.restart(); // its leases go to the second controller
          await new Promise((r) => setTimeout(r, 300));
        }
        for (const [name, r] of [['secure', secure], ['web', web]] as const) {
          await until(`the bursts at the ${name} drain`, () => r.messages.length >= before[name] + expected.length, 30_000);
          await new Promise((res) => setTimeout(res, 300));
          assert.deepEqual(r.messages.slice(before[name]).map(text), expected, `${name} drain: each line once, in order`);
        }
        assert.equal(web.maxInFlight, 1, 'never two POSTs at once');
      } finally {
        await second.stop();
        await nc2.close();
      }
    });

    test('what waits for a receiver that is down is bounded by the stream: it gets the last 1,500 lines, in order', async () => {
      const before = web.messages.length;
      web.failing = true;
      const refusedBefore = web.refused;
      for (let i = 1; i <= 1_600; i++) emit('hello', 'worker.1', `long outage ${i}`);
      await until('a refused batch', () => web.refused > refusedBefore);
      web.failing = false;
      await until('the kept lines at the HTTPS drain', () => web.messages.length >= before + 1_500, 90_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.deepEqual(web.messages.slice(before).map(text), Array.from({ length: 1_500 }, (_, i) => `long outage ${i + 101}`), 'the oldest 100 were dropped by the stream');
    });

    test('a removed drain (by token, by URL) stops receiving; the others go on', async () => {
      await t.admin.removeLogDrain('hello', drains.web.token);
      await t.admin.removeLogDrain('hello', plain.url);
      assert.deepEqual((await t.admin.logDrains('hello')).map((d) => d.id), [drains.secure.id]);
      const before = { plain: plain.messages.length, web: web.messages.length };
      emit('hello', 'web.1', 'after the removal');
      await until('the line at the remaining drain', () => secure.messages.some((m) => m.endsWith('after the removal')));
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(plain.messages.length, before.plain);
      assert.equal(web.messages.length, before.web);
      const consumers: string[] = [];
      for await (const c of (await nc.jetstreamManager()).consumers.list(LOG_STREAM)) consumers.push(c.name);
      assert.ok(!consumers.includes(`drain-${drains.web.id}`) && !consumers.includes(`drain-${drains.plain.id}`), 'their consumers are gone');
      await assert.rejects(t.admin.removeLogDrain('hello', drains.web.token), refused(404, /not a drain of hello.*paas drains -a hello/));
    });

    test('bad URLs, duplicates and a sixth drain are refused with what to do', async () => {
      for (const url of ['http://127.0.0.1/drain', 'syslog+tls://logs.example.com', 'ftp://logs.example.com/', 'nonsense']) {
        await assert.rejects(t.admin.addLogDrain('other', url), refused(422, /syslog\+tls:\/\/host:port, syslog:\/\/host:port \(unencrypted\) or https:\/\/host\/path/));
      }
      await assert.rejects(t.admin.request('POST', '/apps/other/log-drains', { address: 'x' }), refused(422, /url/));
      await assert.rejects(t.admin.addLogDrain('hello', secure.url), refused(422, /already drains to/));
      for (let i = 1; i <= 5; i++) await t.admin.addLogDrain('other', `https://127.0.0.1:9/d${i}`);
      await assert.rejects(t.admin.addLogDrain('other', 'https://127.0.0.1:9/d6'), refused(422, /the most an app may have \(5\).*paas drains:remove/));
    });

    test("only users with access to the app see and change its drains", async () => {
      const stranger = await t.user('stranger@example.com');
      await assert.rejects(stranger.logDrains('hello'), refused([403, 404], /Couldn't find that app/));
      await assert.rejects(stranger.addLogDrain('hello', 'https://evil.example.com/'), refused([403, 404], /Couldn't find that app/));
      await assert.rejects(stranger.removeLogDrain('hello', drains.secure.token), refused([403, 404], /Couldn't find that app/));
      await t.admin.request('POST', '/apps/hello/collaborators', { user: 'stranger@example.com' });
      assert.equal((await stranger.logDrains('hello')).length, 1, 'a collaborator may');
    });

    test("destroying an app removes its drains and their consumers", async () => {
      const ids = (await t.admin.logDrains('other')).map((d) => d.id);
      assert.equal(ids.length, 5);
      await t.admin.request('DELETE', '/apps/other');
      const consumers: string[] = [];
      for await (const c of (await nc.jetstreamManager()).consumers.list(LOG_STREAM)) consumers.push(c.name);
      assert.deepEqual(consumers.filter((n) => ids.some((id) => n === `drain-${id}`)), []);
      await t.admin.createApp('other');
      assert.deepEqual(await t.admin.logDrains('other'), [], 'a new app of the same name starts with none');
    });

    test('a drain goes on after a controller restart, from where it was', async () => {
      const before = secure.messages.length;
      await t.restart();
      emit('hello', 'web.1', 'after the restart');
      await until('the line after the restart', () => secure.messages.length > before);
      assert.deepEqual(secure.messages.slice(before).map(text), ['after the restart']);
    });

    test('a drain whose consumer was lost (NATS lost its store) gets a new one and goes on', async () => {
      const jsm = await nc.jetstreamManager();
      await jsm.consumers.delete(LOG_STREAM, `drain-${drains.secure.id}`);
      await until('the consumer made again', () => jsm.consumers.info(LOG_STREAM, `drain-${drains.secure.id}`).then(() => true, () => undefined), 10_000);
      const before = secure.messages.length;
      emit('hello', 'web.1', 'after the consumer was lost');
      await until('the line', () => secure.messages.length > before);
      assert.deepEqual(secure.messages.slice(before).map(text), ['after the consumer was lost']);
    });
  });
}

describe('log drains without NATS', () => {
  test('are unavailable with a message that says why', async () => {
    const t = await startTestController('sqlite');
    try {
      await t.admin.createApp('quiet');
      await assert.rejects(t.admin.logDrains('quiet'), refused(503, /NATS/));
      await assert.rejects(t.admin.addLogDrain('quiet', 'https://logs.example.com/'), refused(503, /NATS/));
    } finally {
      await t.close();
    }
  });
});
