/**
 * What router log lines cost: wrk through the router with every request's line
 * published on NATS (router/access-log.ts) against the same router with no log sink,
 * in one run (alternated rounds, best of each), as a ratio of requests/s. The backend runs in a child process so it does
 * not share the router's event loop. Alone: `npm run build && node dist/bench/router-log.js`.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { natsLogSink, type LogSink } from '../router/access-log';
import { createProxyServer } from '../router/proxy';
import { RouteTable } from '../router/table';
import { connectNats, silentLogger } from '../shared';
import { printTable, type BenchResult } from './table';
import { wrk } from './wrk';

const HOST = 'logbench.paas.test';

async function throughRouter(backendPort: number, logSink: LogSink | undefined): Promise<number> {
  const table = new RouteTable();
  table.set({ app: 'logbench', domains: [HOST], backends: [{ id: 'j1', ip: '127.0.0.1', port: backendPort, dyno: 'web.1' }] });
  const server = createProxyServer(table, silentLogger, { hardening: { logSink } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const { port } = server.address() as AddressInfo;
    return (await wrk(`http://127.0.0.1:${port}/`, { host: HOST, seconds: 3, connections: 32 })).rps;
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

export async function benchRouterLog(): Promise<BenchResult[]> {
  const child = spawn(process.execPath, ['-e', "const s=require('http').createServer((q,r)=>r.end('ok'));s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
  const backendPort = await new Promise<number>((resolve) => child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))));
  const nc = await connectNats(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', 'bench-router-log', silentLogger);
  try {
    // Warm both paths once so JIT and connection pools are not measured.
    await new Promise<void>((r) => http.get({ port: backendPort, host: '127.0.0.1' }, (res) => res.resume().on('end', r)));
    // Alternated rounds, best of each: the machine is shared, and a single pair is noise.
    let without = 0;
    let withLogs = 0;
    for (let round = 0; round < 3; round++) {
      without = Math.max(without, await throughRouter(backendPort, undefined));
      withLogs = Math.max(withLogs, await throughRouter(backendPort, natsLogSink(nc, 'bench', silentLogger)));
    }
    return [{ name: 'router with log lines on NATS (req/s)', value: withLogs, unit: 'req/s', baseline: without, baselineName: 'router without log lines' }];
  } finally {
    await nc.close();
    child.kill();
  }
}

if (require.main === module) {
  void benchRouterLog().then(printTable);
}
