/**
 * Router overhead: the same requests to a backend directly and through the router,
 * in the same process, with the same keep-alive client. Reported as a ratio.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProxyServer } from '../router/proxy';
import { RouteTable } from '../router/table';
import { silentLogger } from '../shared';
import type { BenchResult } from './table';

const listen = (s: http.Server): Promise<number> => new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

async function load(port: number, host: string, total: number, concurrency: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let sent = 0;
  const start = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (sent < total) {
      sent += 1;
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        }).on('error', reject);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchRouter(): Promise<BenchResult[]> {
  const backend = http.createServer((_req, res) => res.end('hello'));
  const backendPort = await listen(backend);
  const table = new RouteTable();
  table.set({ app: 'bench', domains: ['bench.paas.test'], backends: [{ id: 'b', ip: '127.0.0.1', port: backendPort }] });
  const proxy = createProxyServer(table, silentLogger);
  const proxyPort = await listen(proxy);
  const total = 5000;
  await load(backendPort, 'x', 500, 16);
  await load(proxyPort, 'bench.paas.test', 500, 16);
  const direct = await load(backendPort, 'x', total, 16);
  const routed = await load(proxyPort, 'bench.paas.test', total, 16);
  proxy.closeAllConnections();
  proxy.close();
  backend.closeAllConnections();
  backend.close();
  return [
    { name: 'router: requests/s through the router', value: routed, unit: 'req/s', baseline: direct, baselineName: 'direct to the backend' },
  ];
}
