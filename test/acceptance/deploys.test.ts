/**
 * Deploys with a real platform (`paas up`, runc, the router), under steady load:
 *
 * - T1: 5 web processes, open-loop 100 req/s (half keep-alive, half new connections)
 *   through the router for the whole deploy of a new release: 0 non-2xx, 0 errors.
 * - T3: releases that (a) exit at once, (b) never bind $PORT, (c) fail their health
 *   check: each deploy fails within the deploy timeout with the reason, the app is back
 *   on the previous release, the old formation is identical, 0 non-2xx meanwhile, and
 *   the next deploy starts at once. (c) is also T4: the failing process gets no request.
 *
 * T1 runs twice: with preboot (the default) and one by one (PAAS_DEPLOY_BATCH_SIZE=1).
 * Bridge paasc2, 10.84.0.0/24 (apart from other tests). Boot timeout 10 s, stop grace
 * 5 s, so the whole file takes about three minutes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../../controller';
import { parseCidr } from '../../engine';
import { removeBridge } from '../../engine/bridge';
import { UnavailableError } from '../../shared';
import { eventually, loginAsAdmin, newSettings, newUser, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const APP = 'deployer';
const BRIDGE = 'paasc2';
const CIDR = '10.84.0.1/24';

/** The app: its behaviour is chosen by config vars, so each bad release is one `config:set`. */
const SERVER = `'use strict';
const http = require('http');
if (process.env.CRASH === '1') process.exit(1);
if (process.env.NOBIND === '1') { setInterval(() => {}, 60000); return; }
const server = http.createServer((req, res) => {
  if (req.url === '/health' && process.env.BADHEALTH === '1') { res.statusCode = 500; return res.end('sick'); }
  res.end('mark=' + (process.env.MARK || '0') + ' bad=' + (process.env.BADHEALTH || '0') + ' dyno=' + process.env.DYNO + '\\n');
});
server.keepAliveTimeout = 65000;
server.listen(Number(process.env.PORT || 5000));
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 3000).unref(); });
`;

interface LoadResult {
  total: number;
  failures: string[];
  bodies: string[];
  latencies: number[];
}

/** Open-loop load: one request every 10 ms whatever the answers do; every other one on a fresh connection. */
/** Every load still running: stopped by the suite's after() when a test failed before its own stop(). */
const loads = new Set<{ stop(): Promise<LoadResult> }>();

function startLoad(port: number, host: string): { stop(): Promise<LoadResult> } {
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const result: LoadResult = { total: 0, failures: [], bodies: [], latencies: [] };
  const inflight = new Set<Promise<void>>();
  let n = 0;
  const fire = (): void => {
    const fresh = n++ % 2 === 1;
    const started = process.hrtime.bigint();
    const p = new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: fresh ? false : keepAlive, timeout: 15_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => {
          result.latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) result.failures.push(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
          else result.bodies.push(body);
          resolve();
        });
        res.on('error', (err) => {
          result.failures.push(`response error: ${err.message}`);
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        result.failures.push(`${fresh ? 'new' : 'keep-alive'} connection error: ${err.message}`);
        resolve();
      });
      req.end();
    });
    result.total += 1;
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const timer = setInterval(fire, 10);
  const load = {
    async stop() {
      clearInterval(timer);
      loads.delete(load);
      await Promise.all([...inflight]);
      keepAlive.destroy();
      return result;
    },
  };
  loads.add(load);
  return load;
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0;

// Preboot (the whole formation at once, the default) gets every test; one-by-one gets T1.
for (const strategy of ['preboot', 'one-by-one'] as const) describe(`deploys under load, ${strategy} (T1${strategy === 'preboot' ? ', T3, T4' : ''})`, { skip: !isRoot && 'needs root: runs real containers' }, () => {
  const onlyPreboot = strategy === 'preboot' ? {} : { skip: 'run with the default strategy only' };
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let repo: string;
  let api: ControllerClient;
  const host = (): string => `${APP}.${settings.domain}`;

  /**
   * Reads, retried once: Node's keep-alive agent may reuse a socket the API server is
   * closing at that instant ("socket hang up"), which says nothing about paas.
   */
  const read = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      await sleep(200);
      return fn();
    }
  };
  const releaseOf = async (version: number) => (await read(() => api.releases(APP))).find((r) => r.version === version);
  const webDynos = async () => (await read(() => api.dynos(APP))).filter((d) => d.type === 'web');
  const currentVersion = async (): Promise<number> => (await read(() => api.app(APP))).release_version;

  /** Waits until the app runs `count` web processes of `version`, all up and nothing else. */
  const formationUp = (version: number, count: number, timeoutMs = 120_000) =>
    withPlatformLog(eventually(`${count} web of v${version} up`, async () => {
      const dynos = await webDynos();
      if (dynos.length === count && dynos.every((d) => d.state === 'up' && d.release === version)) return dynos;
      // Thrown, not returned: eventually() keeps retrying and, at its deadline, says what it last saw.
      throw new Error(`web now: ${dynos.map((d) => `${d.name} v${d.release} ${d.state}${d.host ? ` on ${d.host}` : ''}`).join(', ') || 'none'}`);
    }, timeoutMs));

  /** A failure's message gets the platform's last scheduler and engine lines: CI shows only the test output. */
  const withPlatformLog = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      const lines = paas.output().split('\n').filter((l) => /schedul|deploy|engine|agent|error|fail/i.test(l)).slice(-60);
      if (err instanceof Error) err.message += `\n--- the platform's last lines ---\n${lines.join('\n')}`;
      throw err;
    }
  };

  /** A config change makes a release; it is deployed like any other. */
  const release = async (vars: Record<string, string | null>): Promise<number> => {
    const before = await currentVersion();
    await api.setConfig(APP, vars);
    const now = await currentVersion();
    assert.ok(now > before, 'config:set made a release');
    return now;
  };

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_BOOT_TIMEOUT_MS: '10000', PAAS_STOP_GRACE_MS: '5000', ...(strategy === 'one-by-one' ? { PAAS_DEPLOY_BATCH_SIZE: '1' } : {}) });
    paas = await startPaas(settings);
    user = newUser();
    api = loginAsAdmin(user, paas);
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-src-deployer-'));
    fs.writeFileSync(path.join(repo, 'server.js'), SERVER);
    fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: APP, version: '1.0.0', private: true, engines: { node: '20.x' } }, null, 2));
    fs.writeFileSync(path.join(repo, 'Procfile'), 'web: node server.js\n');
    for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'deployer']]) assert.equal(user.git(args, repo).status, 0);
    assert.equal(user.paas(['apps:create', APP], repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));
  });

  after(async () => {
    // A test that failed mid-load left its load running: it would keep this file's process alive.
    await Promise.all([...loads].map((l) => l.stop()));
    if (user && paas) {
      user.paas(['apps:destroy', APP, '--confirm', APP]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    // The platform's own log, for when a test above failed.
    if (paas) fs.writeFileSync(path.join(os.tmpdir(), `paas-deploys-test-${strategy}.log`), paas.output());
    await paas?.stop();
    await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
    for (const dir of [settings?.dataDir, user?.home, repo]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('T1: a deploy of 5 web processes under 100 req/s drops no request', async () => {
    await api.scale(APP, [{ type: 'web', quantity: 5 }]);
    const v1 = await currentVersion();
    await formationUp(v1, 5);
    await eventually('the router to answer', async () => ((await get(settings.routerPort, host())).status === 200 ? true : undefined));

    const baselineLoad = startLoad(settings.routerPort, host());
    await sleep(5_000);
    const baseline = await baselineLoad.stop();
    assert.deepEqual(baseline.failures, [], 'the baseline itself is clean');

    const load = startLoad(settings.routerPort, host());
    const v2 = await release({ MARK: '2' });
    await eventually('the v2 deploy to succeed', async () => ((await releaseOf(v2))?.status === 'succeeded' ? true : undefined), 120_000);
    const dynos = await formationUp(v2, 5);
    // And a while after it: the old processes are gone now, the new ones alone serve.
    await sleep(5_000);
    const r = await load.stop();
    console.log(`T1 (${strategy}): ${r.total} requests, ${r.failures.length} failed; p99 ${p99(r.latencies).toFixed(1)} ms vs baseline ${p99(baseline.latencies).toFixed(1)} ms`);
    assert.deepEqual(r.failures, [], `0 non-2xx and 0 connection errors of ${r.total}`);
    assert.ok(r.total >= 400, `steady load ran (${r.total} requests)`);
    assert.ok(r.bodies.some((b) => b.startsWith('mark=2')), 'the new release answered');
    assert.deepEqual(dynos.map((d) => d.name).sort(), ['web.1', 'web.2', 'web.3', 'web.4', 'web.5'], 'the names carried over');
    const tail = await get(settings.routerPort, host());
    assert.match(tail.body, /^mark=2 /, 'only the new release serves after the deploy');
  });

  /** One failing release under load: failed with a reason, rolled back, old formation untouched. */
  const failing = async (vars: Record<string, string | null>, reason: RegExp): Promise<LoadResult> => {
    const good = await currentVersion();
    const before = (await formationUp(good, 5)).map((d) => d.id).sort();
    const load = startLoad(settings.routerPort, host());
    const started = Date.now();
    const bad = await release(vars);
    const failed = await eventually(`v${bad}'s deploy to fail`, async () => {
      const rel = await releaseOf(bad);
      return rel?.status === 'failed' ? rel : undefined;
    }, 130_000);
    const took = Date.now() - started;
    await sleep(2_000);
    const r = await load.stop();
    assert.ok(took <= 125_000, `failed within the deploy timeout (${took} ms)`);
    assert.match(failed.status_reason ?? '', reason);
    const starts = /^(\d+) failed starts/.exec(failed.status_reason ?? '');
    if (starts) assert.ok(Number(starts[1]) <= 5, failed.status_reason ?? '');
    assert.equal(await currentVersion(), good, 'the app is back on the previous release');
    const after = (await formationUp(good, 5, 30_000)).map((d) => d.id).sort();
    assert.deepEqual(after, before, 'the old formation is identical');
    assert.deepEqual(r.failures, [], `0 non-2xx and 0 connection errors of ${r.total} during the failed deploy`);
    return r;
  };

  test('T3a: a release that exits at once fails and the old one keeps serving', onlyPreboot, async () => {
    await failing({ CRASH: '1' }, /exited with status 1|crashed/);
  });

  test('T3b: a release that never binds $PORT fails; the next deploy starts at once', onlyPreboot, async () => {
    await failing({ NOBIND: '1' }, /R10|bind|\$PORT|boot/i);
  });

  test('T3c/T4: a release failing its health check fails, naming the check, and gets no request', onlyPreboot, async () => {
    fs.writeFileSync(path.join(repo, 'app.json'), JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/health', attempts: 3, timeout: 2 }] } }));
    for (const args of [['add', '-A'], ['commit', '-q', '-m', 'health check']]) assert.equal(user.git(args, repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr);
    const withCheck = await currentVersion();
    await eventually('the health-checked release to deploy', async () => ((await releaseOf(withCheck))?.status === 'succeeded' ? true : undefined), 120_000);
    const r = await failing({ BADHEALTH: '1' }, /health/i);
    assert.equal(r.bodies.filter((b) => b.includes('bad=1')).length, 0, 'the process failing its check received no request');
  });
});

function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}
