import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootTimeoutReason, checkJobReady, httpCheck, type ReadinessCheck } from './readiness';

const base = { ip: '10.0.0.2', port: 5000, timeoutMs: 60_000, healthCheckWaitMs: 0 };

test('ready once the port accepts connections when there is no health check', async () => {
  const r = await checkJobReady({ ...base, signal: new AbortController().signal, tcpReady: async () => true });
  assert.deepEqual(r, { ready: true });
});

test('a port never bound is R10 with the boot timeout in seconds', async () => {
  const r = await checkJobReady({ ...base, signal: new AbortController().signal, tcpReady: async () => false });
  assert.deepEqual(r, { ready: false, reason: 'Error R10 (Boot timeout): web process failed to bind to $PORT within 60 seconds of launch' });
  assert.equal(bootTimeoutReason(3000), 'Error R10 (Boot timeout): web process failed to bind to $PORT within 3 seconds of launch');
});

test('the health check is tried `attempts` times and its last failure named', async () => {
  const seen: string[] = [];
  const answers = ['connection refused', 'status 503', 'status 500'];
  const r = await checkJobReady({
    ...base,
    healthCheck: { path: '/health', attempts: 3 },
    signal: new AbortController().signal,
    tcpReady: async () => true,
    get: async (host, port, path, timeoutMs) => {
      seen.push(`${host}:${port}${path} ${timeoutMs}`);
      return answers[seen.length - 1]!;
    },
  });
  assert.deepEqual(r, { ready: false, reason: 'health check GET /health failed after 3 attempts (last: status 500)' });
  assert.deepEqual(seen, Array(3).fill('10.0.0.2:5000/health 5000'));
});

test('a health check that passes on a later attempt is ready; defaults are 5 attempts of 5 s', async () => {
  let n = 0;
  const r = await checkJobReady({
    ...base,
    healthCheck: { path: '/up' },
    signal: new AbortController().signal,
    tcpReady: async () => true,
    get: async (_h, _p, _path, timeoutMs) => {
      assert.equal(timeoutMs, 5000);
      return ++n === 5 ? 'ok' : 'status 502';
    },
  });
  assert.deepEqual(r, { ready: true });
  assert.equal(n, 5);
});

test('an aborted check reports aborted, not a failure', async () => {
  const ac = new AbortController();
  const r = await checkJobReady({
    ...base,
    healthCheck: { path: '/health' },
    healthCheckWaitMs: 60_000,
    signal: ac.signal,
    tcpReady: async (c: ReadinessCheck) => !c.signal.aborted,
    get: async () => {
      ac.abort();
      return 'status 503';
    },
  });
  assert.equal(r.ready, false);
  assert.equal(!r.ready && r.aborted, true);
});

test('httpCheck: 2xx and 3xx pass, others and timeouts are named', async () => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    const status = Number(req.url!.slice(1));
    res.writeHead(status, status === 302 ? { location: '/elsewhere' } : {});
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  try {
    assert.equal(await httpCheck('127.0.0.1', port, '/204', 2000), 'ok');
    assert.equal(await httpCheck('127.0.0.1', port, '/302', 2000), 'ok');
    assert.equal(await httpCheck('127.0.0.1', port, '/404', 2000), 'status 404');
    assert.equal(await httpCheck('127.0.0.1', port, '/503', 2000), 'status 503');
    assert.equal(await httpCheck('127.0.0.1', port, '/slow', 300), 'timeout after 300 ms');
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
  assert.equal(await httpCheck('127.0.0.1', port, '/', 2000), 'connection refused');
});
