/** Starts a router: the proxy server plus the route sync. */
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from 'nats';
import type { ControllerClient } from '../controller';
import type { Logger } from '../shared';
import { createProxyServer } from './proxy';
import { DrainingRouteTable, startRouterDrain } from './drain';
import { syncRoutes } from './sync';
import type { RouteTable } from './table';

export interface RouterOptions {
  client: ControllerClient;
  nc?: NatsConnection;
  log: Logger;
  port: number;
  bindAddress: string;
  reloadMs?: number;
}

export interface RunningRouter {
  port: number;
  table: RouteTable;
  ready: Promise<void>;
  close(): Promise<void>;
}

export async function startRouter(o: RouterOptions): Promise<RunningRouter> {
  const table = new DrainingRouteTable();
  const sync = syncRoutes(table, o.client, o.nc, o.log, o.reloadMs);
  // Heartbeat and unroute answers, so the scheduler can take jobs out before SIGTERM.
  const drain = o.nc ? startRouterDrain(table, o.client, o.nc, o.log) : undefined;
  const server = createProxyServer(table, o.log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info('router listening', { port });
  return {
    port,
    table,
    ready: sync.ready,
    async close() {
      sync.stop();
      drain?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
