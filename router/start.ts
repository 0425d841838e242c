/** Starts a router: the proxy server plus the route sync. */
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from 'nats';
import type { ControllerClient } from '../controller';
import type { Logger } from '../shared';
import { natsLogSink } from './access-log';
import { publishRequestMetrics, RequestMetrics } from './request-metrics';
import { createProxyServer } from './proxy';
import { routerTimeouts, serverTimeoutOptions, type RouterTimeouts } from './timeouts';
import { DrainingRouteTable, startRouterDrain } from './drain';
import { syncRoutes } from './sync';
import { tlsEdge } from './tls-edge';
import type { PemPair } from './default-cert';
import type { RouteTable } from './table';
import { startRouterWorkers, type RouterWorkersOptions } from './workers';
import type { BalancePolicy } from './balancer';

export interface RouterOptions {
  client: ControllerClient;
  nc?: NatsConnection;
  log: Logger;
  port: number;
  bindAddress: string;
  reloadMs?: number;
  /** Heroku's 30 s / 55 s / header limits when absent (timeouts.ts). */
  timeouts?: Partial<RouterTimeouts>;
  /** Names this router in its log lines on the apps' log streams. */
  hostId?: string;
  /** HTTPS listener (SNI certificates, HTTP/2, per-app redirect); absent: plain HTTP only. */
  httpsPort?: number;
  /** Where the HTTPS default certificate is kept (router/ below it), for *.<domain>. */
  dataDir?: string;
  domain?: string;
  defaultCertificate?: PemPair;
  /** Run as this many worker processes sharing the ports (workers.ts); count 0 or 1: in this process. */
  workers?: RouterWorkersOptions;
  /** How a backend is picked (balancer.ts); power of two choices when absent. */
  balance?: BalancePolicy;
  /** Requests in flight per web process before others wait (backlog.ts: 50). */
  maxActivePerBackend?: number;
  /** How often request counts are published (10 s). */
  metricsIntervalMs?: number;
}

export interface RunningRouter {
  port: number;
  /** Absent with workers: each worker keeps its own table (workers.ts). */
  table?: RouteTable;
  ready: Promise<void>;
  /** Set when the HTTPS listener runs. */
  httpsPort?: number;
  /** Resolves once certificates were loaded (at once without HTTPS). */
  tlsReady: Promise<void>;
  close(): Promise<void>;
}

export async function startRouter(o: RouterOptions): Promise<RunningRouter> {
  if (o.workers && o.workers.count > 1) return startRouterWorkers({ ...o, workers: o.workers });
  const table = new DrainingRouteTable();
  const sync = syncRoutes(table, o.client, o.nc, o.log, o.reloadMs);
  // Heartbeat and unroute answers, so the scheduler can take jobs out before SIGTERM.
  const drain = o.nc ? startRouterDrain(table, o.client, o.nc, o.log) : undefined;
  const logSink = o.nc ? natsLogSink(o.nc, o.hostId ?? 'router', o.log) : undefined;
  // Request counts for `paas metrics`; each worker process counts and publishes its own.
  const metrics = o.nc ? new RequestMetrics() : undefined;
  const stopMetrics = metrics && o.nc ? publishRequestMetrics(metrics, o.nc, `${o.hostId ?? 'router'}-${process.pid}`, o.log, o.metricsIntervalMs) : undefined;
  const edge = o.httpsPort === undefined ? undefined : tlsEdge({ ...o, idleTimeoutMs: o.timeouts?.idleMs, http1: serverTimeoutOptions(routerTimeouts(o.timeouts)) });
  const server = createProxyServer(table, o.log, { hardening: { timeouts: o.timeouts, logSink, observe: metrics?.observe }, httpsRedirect: edge?.redirect, balance: o.balance, maxActivePerBackend: o.maxActivePerBackend });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info('router listening', { port });
  const httpsPort = edge && o.httpsPort !== undefined
    ? await edge.listen(server, o.httpsPort, o.bindAddress).catch(async (err: unknown) => {
        sync.stop();
        drain?.stop();
        await edge.close();
        await new Promise((r) => server.close(r));
        throw err;
      })
    : undefined;
  return {
    port,
    table,
    ready: sync.ready,
    httpsPort,
    tlsReady: edge?.ready ?? Promise.resolve(),
    async close() {
      sync.stop();
      drain?.stop();
      stopMetrics?.();
      await edge?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
