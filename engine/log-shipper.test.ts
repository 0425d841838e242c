/**
 * The host's log shipper against a real nats-server with the platform's log stream:
 * each process's lines are stored in the order it wrote them, from several hosts at
 * once; a process that floods is bounded and cannot push a quiet one back; what is
 * dropped is said (L12); the platform's own lines are never dropped.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DeliverPolicy, JSONCodec, type NatsConnection } from 'nats';
import { LOG_STREAM, LogStore } from '../controller/logs/log-store';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, silentLogger, subjects, type AppLogLine } from '../shared';
import { freePort } from '../test/helpers/ports';
import { LogShipper, overflowLine } from './log-shipper';

describe('log shipper (real NATS JetStream)', () => {
  let dir: string;
  let nats: EmbeddedNats;
  let hosts: NatsConnection[];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-shipper-'));
    nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
    // Three connections: the controller's and two hosts'.
    hosts = await Promise.all(['controller', 'host-a', 'host-b'].map((n) => connectNats(nats.url, n, silentLogger)));
    await LogStore.open(hosts[0]!, silentLogger, 100_000);
  });
  after(async () => {
    for (const nc of hosts ?? []) await nc.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const line = (app: string, dyno: string, text: string, source: 'app' | 'paas' = 'app'): AppLogLine => ({
    app, jobId: `${app}-${dyno}`, processType: dyno.split('.')[0]!, hostId: 'h', stream: 'stdout', source, dyno, time: new Date().toISOString(), line: text,
  });

  /** Every stored line of the apps, in the stream's order. */
  const stored = async (...apps: string[]): Promise<AppLogLine[]> => {
    const nc = hosts[0]!;
    const jsm = await nc.jetstreamManager();
    const count = (await jsm.streams.info(LOG_STREAM)).state.messages;
    if (count === 0) return [];
    // (One filter for all apps: this nats-server may predate several filters per consumer.)
    const c = await nc.jetstream().consumers.get(LOG_STREAM, { filterSubjects: subjects.appLog.name('*'), deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    const out: AppLogLine[] = [];
    const codec = JSONCodec<AppLogLine>();
    let seen = 0;
    for await (const m of await c.fetch({ max_messages: count, expires: 2_000 })) {
      const l = codec.decode(m.data);
      if (apps.includes(l.app)) out.push(l);
      if (++seen >= count) break;
    }
    return out;
  };

  test('processes on two hosts: one stream per app, each process in the order it wrote', async () => {
    const a = new LogShipper(hosts[1]!, silentLogger);
    const b = new LogShipper(hosts[2]!, silentLogger);
    for (let i = 0; i < 2_000; i++) {
      a.ship('web1', line('multi', 'web.1', `web.1 ${i}`));
      b.ship('web2', line('multi', 'web.2', `web.2 ${i}`));
      if (i % 3 === 0) a.ship('worker1', line('multi', 'worker.1', `worker.1 ${i / 3}`));
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all([a.drained(), b.drained()]);
    const lines = await stored('multi');
    assert.equal(lines.length, 2_000 + 2_000 + 667);
    for (const dyno of ['web.1', 'web.2', 'worker.1']) {
      const seq = lines.filter((l) => l.dyno === dyno).map((l) => Number(l.line.split(' ')[1]));
      assert.deepEqual(seq, seq.map((_, i) => i), `${dyno} in order, none lost`);
    }
    await Promise.all([a.close(), b.close()]);
  });

  test('a flooding process is bounded and cannot push back a quiet one; the loss is said, state lines are kept', async () => {
    const s = new LogShipper(hosts[1]!, silentLogger, { maxQueuedPerProcess: 1_000, maxInFlight: 64 });
    // All queued before the shipper's loop runs: the worst case for the quiet process.
    for (let i = 0; i < 20_000; i++) s.ship('flood', line('flood', 'web.1', `flood ${i}`));
    s.ship('flood', line('flood', 'web.1', 'State changed from up to crashed', 'paas'));
    for (let i = 0; i < 5; i++) s.ship('quiet', line('quiet', 'web.1', `quiet ${i}`));
    await s.drained();
    assert.equal(s.counters.dropped, 19_000);

    const both = await stored('flood', 'quiet');
    const lastQuiet = Math.max(...both.map((l, i) => (l.app === 'quiet' ? i : -1)));
    assert.ok(lastQuiet < 12, `the quiet process's 5 lines went out with the flood's first ones, round-robin (last at ${lastQuiet})`);

    const flood = both.filter((l) => l.app === 'flood');
    assert.equal(flood.length, 1_000 + 1 + 1, 'the first 1,000 lines, the state line, the notice');
    assert.deepEqual(flood.slice(0, 1_000).map((l) => l.line), Array.from({ length: 1_000 }, (_, i) => `flood ${i}`));
    assert.equal(flood[1_000]!.line, 'State changed from up to crashed');
    assert.equal(flood[1_001]!.source, 'paas');
    assert.equal(flood[1_001]!.dyno, 'web.1');
    assert.match(flood[1_001]!.line, /^Error L12 \(Local buffer overflow\): 19000 messages dropped since \d{4}-/);
    assert.equal(flood[1_001]!.line, overflowLine(19_000, flood[1_001]!.line.split('since ')[1]!));
    await s.close();
  });

  test('a process over its rate keeps a burst of twice the rate; the rest is dropped and said', async () => {
    const s = new LogShipper(hosts[1]!, silentLogger, { linesPerSecond: 100 });
    for (let i = 0; i < 1_000; i++) s.ship('fast', line('fast', 'web.1', `fast ${i}`));
    assert.equal(s.accepting('fast'), false, 'over its rate: its output need not be parsed');
    await s.drained();
    await new Promise((r) => setTimeout(r, 1_200));
    await s.drained();
    const fast = await stored('fast');
    assert.deepEqual(fast.slice(0, 200).map((l) => l.line), Array.from({ length: 200 }, (_, i) => `fast ${i}`));
    const notices = fast.filter((l) => l.source === 'paas').map((l) => l.line);
    const said = notices.reduce((n, l) => n + Number(/: (\d+) messages dropped/.exec(l)?.[1] ?? 0), 0);
    assert.equal(said, 800, `every dropped line is counted in the L12 lines: ${notices.join(' | ')}`);
    await s.close();
  });
});
