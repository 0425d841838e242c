/**
 * Router speed, with wrk against one backend (a one-worker nginx answering 200): the
 * same load direct to the backend, through nginx as a keep-alive reverse proxy, and
 * through paas's router, in one run, as ratios router/nginx and router/direct
 * (requests/s, p50 and p99). Plus route propagation: a routes.changed event published
 * on NATS → the first request served by the new backend.
 *
 * Both proxies get the same number of processes (PAAS_ROUTER_WORKERS, default the CPU
 * count). nginx is only a baseline here; paas never starts it.
 * Alone: `npm run build && node dist/bench/router.js`.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { NatsConnection } from 'nats';
import type { ControllerClient, Route } from '../controller';
import { startRouter } from '../router';
import { BALANCE_POLICIES, type BalancePolicy } from '../router/balancer';
import { createProxyServer } from '../router/proxy';
import { RouteTable } from '../router/table';
import { connectNats, publish, silentLogger, subjects } from '../shared';
import { nginxBackend, nginxProxy } from './nginx';
import { cpuMs, descendants } from './cpu';
import { printTable, type BenchResult } from './table';
import { wrk, type WrkResult } from './wrk';

const HOST = 'bench.paas.test';

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The two calls the router makes to the controller, answered from a map (in-process). */
function fakeController(routes: Map<string, Route>): ControllerClient {
  const fake = {
    routes: async () => [...routes.values()],
    route: async (app: string) => routes.get(app) ?? { app, domains: [], backends: [] },
  };
  return fake as unknown as ControllerClient;
}

/** The same two calls over HTTP, for router workers, which reach the controller themselves. */
async function fakeControllerApi(routes: Map<string, Route>): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const app = /^\/routes\/([^/]+)$/.exec(req.url ?? '')?.[1];
    const body = req.url === '/routes' ? [...routes.values()] : app ? (routes.get(decodeURIComponent(app)) ?? { app, domains: [], backends: [] }) : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? { id: 'not_found', message: 'no such path' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function tryNats(url: string): Promise<NatsConnection | undefined> {
  try {
    return await Promise.race([
      connectNats(url, 'bench-router', silentLogger),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000)),
    ]);
  } catch {
    return undefined;
  }
}

const getBody = (port: number, agent: http.Agent, host: string): Promise<string> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });

/** Median ms from publishing routes.changed to the first response from the new backend. */
async function propagation(nc: NatsConnection, routes: Map<string, Route>, routerPort: number, rounds: number): Promise<number[]> {
  const servers = await Promise.all(
    ['A', 'B'].map(
      (name) =>
        new Promise<{ name: string; port: number; server: http.Server }>((resolve) => {
          const server = http.createServer((_req, res) => res.end(name));
          server.listen(0, '127.0.0.1', () => resolve({ name, port: (server.address() as AddressInfo).port, server }));
        }),
    ),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const to = servers[i % 2];
    routes.set('prop', { app: 'prop', domains: ['prop.paas.test'], backends: [{ id: `prop-${to.name}`, ip: '127.0.0.1', port: to.port }] });
    const start = process.hrtime.bigint();
    publish(nc, subjects.routesChanged.name, subjects.routesChanged.schema, { app: 'prop' });
    for (let tries = 0; (await getBody(routerPort, agent, 'prop.paas.test')) !== to.name; tries++) {
      if (tries > 20_000) throw new Error('the route change never reached the router');
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  agent.destroy();
  for (const s of servers) {
    s.server.closeAllConnections();
    s.server.close();
  }
  return times;
}

/** A backend that serves one request at a time, each taking `serviceMs`: an app's single process. */
function serialBackend(serviceMs: number): Promise<{ port: number; server: http.Server }> {
  let busyUntil = 0;
  const server = http.createServer((_req, res) => {
    const start = Math.max(Date.now(), busyUntil);
    busyUntil = start + serviceMs;
    setTimeout(() => res.end('ok'), busyUntil - Date.now());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server })));
}

/** Requests/s and p99 for `total` requests at `concurrency` through a router picking with `policy`. */
async function balanceRun(policy: BalancePolicy, ports: number[], total: number, concurrency: number): Promise<{ rps: number; p99Ms: number }> {
  const table = new RouteTable();
  table.set({ app: 'bal', domains: ['bal.paas.test'], backends: ports.map((port, i) => ({ id: `web.${i + 1}`, ip: '127.0.0.1', port })) });
  const proxy = createProxyServer(table, silentLogger, { balance: policy });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const port = (proxy.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let sent = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent++;
        const t0 = performance.now();
        await getBody(port, agent, 'bal.paas.test');
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const rps = total / ((performance.now() - start) / 1000);
  agent.destroy();
  proxy.closeAllConnections();
  proxy.close();
  latencies.sort((a, b) => a - b);
  return { rps, p99Ms: latencies[Math.floor(latencies.length * 0.99)] };
}

/** Three single-process backends, two fast (2 ms) and one slow (10 ms): how each policy copes. */
export async function benchBalancing(): Promise<BenchResult[]> {
  const backends = await Promise.all([2, 2, 10].map((ms) => serialBackend(ms)));
  const ports = backends.map((b) => b.port);
  const runs = new Map<BalancePolicy, { rps: number; p99Ms: number }>();
  for (const policy of BALANCE_POLICIES) runs.set(policy, await balanceRun(policy, ports, 1200, 12));
  for (const b of backends) {
    b.server.closeAllConnections();
    b.server.close();
  }
  const rr = runs.get('round-robin')!;
  return (['least-connections', 'p2c'] as const).flatMap((policy) => [
    { name: `balancing 2+2+10 ms: ${policy} req/s`, value: runs.get(policy)!.rps, unit: 'req/s', baseline: rr.rps, baselineName: 'round-robin' },
    { name: `balancing 2+2+10 ms: ${policy} p99`, value: runs.get(policy)!.p99Ms, unit: 'ms', baseline: rr.p99Ms, baselineName: 'round-robin' },
  ]);
}

interface Target {
  name: string;
  port: number;
  /** CPU ms used so far by the processes serving this target. */
  cpu: () => number;
}

interface Measured {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU microseconds the target's processes spent per request. */
  cpuUs: number;
}

const selfCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Every target once per round, rounds interleaved, so a neighbour's burst of load hits
 * all of them alike; each figure is the median over the rounds.
 */
async function measure(targets: Target[], rounds: number, seconds: number): Promise<Map<string, Measured>> {
  const runs = new Map<string, Measured[]>(targets.map((t) => [t.name, []]));
  for (const t of targets) await wrk(`http://127.0.0.1:${t.port}/`, { host: HOST, seconds: 1 });
  for (let r = 0; r < rounds; r++) {
    for (const t of targets) {
      const before = t.cpu();
      const w: WrkResult = await wrk(`http://127.0.0.1:${t.port}/`, { host: HOST, seconds });
      runs.get(t.name)!.push({ rps: w.rps, p50Ms: w.p50Ms, p99Ms: w.p99Ms, cpuUs: ((t.cpu() - before) * 1000) / w.requests });
    }
  }
  const out = new Map<string, Measured>();
  for (const [name, xs] of runs) {
    const pick = (k: keyof Measured): number => median(xs.map((x) => x[k]));
    out.set(name, { rps: pick('rps'), p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms'), cpuUs: pick('cpuUs') });
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchRouter(): Promise<BenchResult[]> {
  if (!has('wrk') || !has('nginx')) {
    console.error('router benchmark skipped: it needs wrk and nginx (scripts/install-deps.sh installs them)');
    return [];
  }
  const workers = Number(process.env.PAAS_ROUTER_WORKERS) || os.availableParallelism();
  const seconds = Number(process.env.BENCH_ROUTER_SECONDS) || 4;
  // Everything started is stopped, in reverse, whatever fails on the way.
  const stops: (() => Promise<unknown>)[] = [];
  const started = <T>(thing: T, stop: (t: T) => Promise<unknown>): T => (stops.push(() => stop(thing)), thing);
  try {
    const backend = started(await nginxBackend(), (n) => n.stop());
    const nginx1 = started(await nginxProxy(backend.port, 1), (n) => n.stop());
    const nginxN = started(await nginxProxy(backend.port, workers), (n) => n.stop());
    const routes = new Map<string, Route>([['bench', { app: 'bench', domains: [HOST], backends: [{ id: 'bench-1', ip: '127.0.0.1', port: backend.port }] }]]);
    const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
    const nc = await tryNats(natsUrl);
    if (nc) stops.push(() => nc.close());
    const api = started(await fakeControllerApi(routes), async (a) => (a.server.closeAllConnections(), a.server.close()));
    const common = { log: silentLogger, port: 0, bindAddress: '127.0.0.1', reloadMs: 60_000 };
    // One process, as with PAAS_ROUTER_WORKERS=1, and the default: a worker per core.
    const router1 = started(await startRouter({ ...common, client: fakeController(routes), nc }), (r) => r.close());
    const routerN = started(
      await startRouter({ ...common, client: fakeController(routes), workers: { count: workers, controllerUrl: api.url, natsUrl: nc ? natsUrl : undefined } }),
      (r) => r.close(),
    );
    await Promise.all([router1.ready, routerN.ready]);
    const rounds = Number(process.env.BENCH_ROUTER_ROUNDS) || 3;
    const targets: Target[] = [
      { name: 'direct', port: backend.port, cpu: () => cpuMs([backend.pid, ...descendants(backend.pid)]) },
      { name: 'nginx1', port: nginx1.port, cpu: () => cpuMs([nginx1.pid, ...descendants(nginx1.pid)]) },
      { name: 'router1', port: router1.port, cpu: () => selfCpuMs() },
      { name: 'nginxN', port: nginxN.port, cpu: () => cpuMs([nginxN.pid, ...descendants(nginxN.pid)]) },
      { name: 'routerN', port: routerN.port, cpu: () => cpuMs(descendants(process.pid, /worker-main/)) },
    ];
    const m = await measure(targets, rounds, seconds);
    const [direct, nginx1r, router1r, nginxNr, routerNr] = targets.map((t) => m.get(t.name)!);
    const results: BenchResult[] = [
      { name: 'router, 1 process: requests/s', value: router1r.rps, unit: 'req/s', baseline: nginx1r.rps, baselineName: 'nginx, 1 worker' },
      { name: 'router, 1 process: CPU per request', value: router1r.cpuUs, unit: 'µs', baseline: nginx1r.cpuUs, baselineName: 'nginx, 1 worker' },
      { name: `router, ${workers} workers: requests/s`, value: routerNr.rps, unit: 'req/s', baseline: nginxNr.rps, baselineName: `nginx, ${workers} workers` },
      { name: `router, ${workers} workers: requests/s`, value: routerNr.rps, unit: 'req/s', baseline: direct.rps, baselineName: 'direct to the backend' },
      { name: `router, ${workers} workers: p50 latency`, value: routerNr.p50Ms, unit: 'ms', baseline: nginxNr.p50Ms, baselineName: 'nginx' },
      { name: `router, ${workers} workers: p99 latency`, value: routerNr.p99Ms, unit: 'ms', baseline: nginxNr.p99Ms, baselineName: 'nginx' },
      { name: `router, ${workers} workers: CPU per request`, value: routerNr.cpuUs, unit: 'µs', baseline: nginxNr.cpuUs, baselineName: 'nginx' },
    ];
    if (nc) {
      const times = await propagation(nc, routes, routerN.port, 20);
      results.push({ name: 'router: route change → served (median of 20)', value: median(times), unit: 'ms', baseline: 100, baselineName: 'goal' });
      results.push({ name: 'router: route change → served (max of 20)', value: Math.max(...times), unit: 'ms', baseline: 100, baselineName: 'goal' });
    } else console.error('route propagation skipped: no NATS at NATS_URL or 127.0.0.1:4222');
    results.push(...(await benchBalancing()));
    return results;
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error('bench cleanup:', err));
  }
}

if (require.main === module) {
  benchRouter()
    .then((results) => printTable(results))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
