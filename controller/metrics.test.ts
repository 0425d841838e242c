/**
 * `paas ps` usage and `paas metrics` underneath: process samples and router counts
 * published on NATS the way hosts and routers publish them are kept by JetStream (a
 * real nats-server) and served per minute by the controller, after a restart too, and
 * only to those who may see the app.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, latencyBucket, metricMessage, metricSubjects, PaasError, publish, silentLogger, type MetricMessage } from '../shared';
import { eventually } from '../test/helpers/paas';
import { freePort } from '../test/helpers/ports';
import { startTestController, type TestController } from './test-fixture';

describe('app metrics (real NATS JetStream, SQLite)', () => {
  let dir: string;
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let t: TestController;
  const MB = 1024 * 1024;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-metrics-'));
    nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
    nc = await connectNats(nats.url, 'metrics-test', silentLogger);
    t = await startTestController('sqlite', { nc });
    for (const app of ['shop', 'other']) {
      await t.admin.createApp(app);
      await t.admin.setConfig(app, { A: '1' });
    }
  });
  after(async () => {
    await t?.close();
    await nc?.close();
    await nats?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = (m: MetricMessage): void => {
    const subject = m.kind === 'dyno' ? metricSubjects.dyno(m.app, m.jobId) : m.kind === 'router' ? metricSubjects.router(m.app, m.routerId) : metricSubjects.event(m.app);
    publish(nc, subject, metricMessage, m);
  };
  const dyno = (app: string, jobId: string, name: string, at: Date, memMb: number, cpu: number): MetricMessage => ({
    kind: 'dyno', app, jobId, dyno: name, type: name.split('.')[0]!, hostId: 'h1.example', time: at.toISOString(), memoryBytes: memMb * MB, memoryLimitBytes: 512 * MB, cpuPercent: cpu, pids: 3,
  });
  /** `n` requests of `ms` each, as one router's 10 s window. */
  const router = (app: string, routerId: string, at: Date, requests: { n: number; ms: number; status: number; code?: string }[]): MetricMessage => {
    const m = { kind: 'router' as const, app, routerId, time: at.toISOString(), windowMs: 10_000, requests: 0, statuses: {} as Record<string, number>, errors: {} as Record<string, number>, latency: {} as Record<string, number> };
    for (const r of requests) {
      m.requests += r.n;
      const cls = `${Math.floor(r.status / 100)}xx`;
      m.statuses[cls] = (m.statuses[cls] ?? 0) + r.n;
      if (r.code) m.errors[r.code] = (m.errors[r.code] ?? 0) + r.n;
      const b = String(latencyBucket(r.ms));
      m.latency[b] = (m.latency[b] ?? 0) + r.n;
    }
    return m;
  };

  test('per minute: requests from two routers summed, percentiles from their histograms, crashes, memory and CPU per type', async () => {
    const now = Date.now();
    const thisMinute = new Date(Math.floor(now / 60_000) * 60_000 + 1_000);
    const lastMinute = new Date(thisMinute.getTime() - 60_000);
    // 90 fast, 9 slower, 1 slow request over two routers: p50 ~10 ms, p95 ~100 ms, p99 ~100 ms.
    send(router('shop', 'r1', lastMinute, [{ n: 60, ms: 10, status: 200 }, { n: 5, ms: 100, status: 200 }]));
    send(router('shop', 'r2', lastMinute, [{ n: 30, ms: 10, status: 200 }, { n: 4, ms: 100, status: 503, code: 'H12' }, { n: 1, ms: 3000, status: 503, code: 'H12' }]));
    send(dyno('shop', 'job-a', 'web.1', lastMinute, 100, 10));
    send(dyno('shop', 'job-b', 'web.2', lastMinute, 200, 30));
    send(dyno('shop', 'job-a', 'web.1', thisMinute, 120, 5));
    send({ kind: 'event', app: 'shop', dyno: 'web.2', time: lastMinute.toISOString(), event: 'crashed', reason: 'Process exited with status 1' });
    send(router('other', 'r1', lastMinute, [{ n: 1000, ms: 1, status: 200 }]));

    const m = await eventually('the samples to be stored', async () => {
      const r = await t.admin.metrics('shop', 5);
      return r.points.some((p) => p.requests > 0) && Object.keys(r.points.at(-1)!.types).length > 0 ? r : undefined;
    }, 5_000);
    assert.equal(m.resolution_seconds, 60);
    assert.equal(m.points.length, 5);
    // Found by time: the test may cross a minute's end between sending and asking.
    const at = (d: Date): string => new Date(d.getTime() - 1_000).toISOString();
    const prev = m.points.find((p) => p.time === at(lastMinute));
    const cur = m.points.find((p) => p.time === at(thisMinute));
    assert.ok(prev && cur, JSON.stringify(m.points.map((p) => p.time)));
    assert.equal(prev!.requests, 100, 'both routers, not the other app');
    assert.deepEqual(prev!.statuses, { '2xx': 95, '5xx': 5 });
    assert.deepEqual(prev!.errors, { H12: 5 });
    const within10 = (got: number, want: number): boolean => got >= want && got <= want * 1.1;
    assert.ok(within10(prev!.latency_ms!.p50, 10), `p50 ${prev!.latency_ms!.p50}`);
    assert.ok(within10(prev!.latency_ms!.p95, 100), `p95 ${prev!.latency_ms!.p95}`);
    assert.ok(within10(prev!.latency_ms!.p99, 100), `p99 ${prev!.latency_ms!.p99}`);
    assert.equal(prev!.restarts, 1);
    assert.deepEqual(prev!.types.web, { dynos: 2, memory_mb: { mean: 150, max: 200 }, memory_limit_mb: 512, cpu_percent: { mean: 20, max: 30 } });
    assert.equal(cur!.requests, 0);
    assert.equal(cur!.latency_ms, null);
    assert.deepEqual(cur!.types.web, { dynos: 1, memory_mb: { mean: 120, max: 120 }, memory_limit_mb: 512, cpu_percent: { mean: 5, max: 5 } });
    const others = m.points.filter((p) => p !== prev && p !== cur);
    assert.equal(others.length, 3);
    assert.ok(others.every((p) => p.requests === 0 && Object.keys(p.types).length === 0), 'minutes without data are empty, not missing');
  });

  test("paas ps: each running process shows its newest sample's memory and CPU", async () => {
    await t.system.reportJob('job-a', { app: 'shop', release: 1, type: 'web', host: 'h1.example', state: 'up', ip: '10.0.0.2', port: 5000, dyno: 'web.1' });
    await t.system.reportJob('job-c', { app: 'shop', release: 1, type: 'web', host: 'h1.example', state: 'up', ip: '10.0.0.3', port: 5000, dyno: 'web.3' });
    const dynos = await t.admin.dynos('shop');
    const a = dynos.find((d) => d.name === 'web.1')!;
    assert.deepEqual({ ...a.usage, at: undefined }, { memory_mb: 120, memory_limit_mb: 512, cpu_percent: 5, pids: 3, at: undefined });
    assert.equal(dynos.find((d) => d.name === 'web.3')!.usage, null, 'no sample yet: nothing made up');
  });

  test('the hour survives a controller restart; a destroyed app takes its metrics with it', async () => {
    await t.restart();
    const m = await t.admin.metrics('shop', 3);
    assert.equal(m.points.reduce((n, p) => n + p.requests, 0), 100);
    await t.admin.request('DELETE', '/apps/other');
    await t.admin.createApp('other');
    assert.ok((await t.admin.metrics('other', 5)).points.every((p) => p.requests === 0));
  });

  test('bad options and apps one may not see are refused with what to do', async () => {
    await assert.rejects(t.admin.metrics('shop', 61), (err: unknown) => err instanceof PaasError && err.status === 422 && /1 to 60/.test(err.message));
    const stranger = await t.user('stranger@example.com');
    await assert.rejects(stranger.metrics('shop'), (err: unknown) => err instanceof PaasError && (err.status === 403 || err.status === 404));
  });
});
