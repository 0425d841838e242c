/** Starts the controller: database, first-start accounts, the API server. */
import type http from 'node:http';
import type { NatsConnection } from 'nats';
import type { Sequelize } from 'sequelize';
import { errorMessage, type Logger } from '../shared';
import type { AppUrls } from './api/context';
import { bootstrapAccounts, type Bootstrap } from './bootstrap';
import { openDatabase } from './db';
import { withDatabaseLock } from './db-lock';
import { Outbox } from './events';
import { DrainForwarder } from './drains/forwarder';
import { HostDirectory } from './hosts';
import { serveHostJoins, type JoinSettings } from './join/join-service';
import { LogStore } from './logs/log-store';
import { MetricsStore } from './metrics/metrics-store';
import { createApi, listen } from './server';

import { serveAttachUpgrades } from './attach/attach-server';
export interface ControllerOptions {
  dataDir: string;
  databaseUrl?: string;
  adminEmail: string;
  domain: string;
  urls: AppUrls;
  /** API requests per user per hour; default 4500 like Heroku. */
  rateLimitPerHour?: number;
  port: number;
  bindAddress: string;
  nc?: NatsConnection;
  /** Log lines kept per app (Heroku's Logplex: 1,500). */
  logLinesPerApp?: number;
  /** PEM CAs that drains' TLS trusts besides the system's (PAAS_DRAINS_CA_FILE). */
  drainsCaFile?: string;
  /** What admitted hosts are told (`paas host:join`); absent: no host can join through this controller. */
  join?: JoinSettings;
  log: Logger;
}

export interface RunningController extends Bootstrap {
  url: string;
  port: number;
  sequelize: Sequelize;
  close(): Promise<void>;
}

export async function startController(o: ControllerOptions): Promise<RunningController> {
  const sequelize = await openDatabase(o.databaseUrl, o.dataDir);
  // Two controllers starting at once on a new database create one admin, not two.
  const accounts = await withDatabaseLock(sequelize, 'paas_bootstrap', () => bootstrapAccounts(o.dataDir, o.adminEmail));
  // Logs live in JetStream; a NATS without it leaves `paas logs` unavailable, not the API.
  const logs = o.nc
    ? await LogStore.open(o.nc, o.log.child('logs'), o.logLinesPerApp).catch((err: unknown) => {
        o.log.warn('no log store: NATS JetStream is not available', { err: errorMessage(err) });
        return undefined;
      })
    : undefined;
  const metrics = o.nc
    ? await MetricsStore.open(o.nc, o.log.child('metrics')).catch((err: unknown) => {
        o.log.warn('no metrics store: NATS JetStream is not available', { err: errorMessage(err) });
        return undefined;
      })
    : undefined;
  // Drains read from the log store's stream, so they need it; the forwarder starts after listen.
  const drains = o.nc && logs ? await DrainForwarder.open(o.nc, o.log.child('drains'), o.drainsCaFile) : undefined;
  const outbox = new Outbox(o.nc, o.log.child('outbox'));
  const hosts = new HostDirectory();
  if (o.nc) hosts.watch(o.nc, o.log.child('hosts'));
  const joins = o.nc && o.join ? serveHostJoins(o.nc, o.join, hosts, o.log.child('join')) : undefined;
  const api = createApi({ sequelize, outbox, hosts, log: o.log, domain: o.domain, urls: o.urls, rateLimitPerHour: o.rateLimitPerHour ?? 4500, dataDir: o.dataDir, logs, metrics, drains, joinNatsUrl: o.join?.natsUrl });
  const { server, port } = await listen(api, o.port, o.bindAddress);
  // `paas run`'s terminals: WebSockets beside the API, relayed to the dyno's host over NATS.
  const stopAttach = serveAttachUpgrades(server, { nc: o.nc, log: o.log.child('attach') });
  // Relaying what a previous run left unpublished starts once the API is up (the relay
  // needs nothing from it; a write's own relay starts at its commit either way).
  outbox.start();
  drains?.start();
  const host = o.bindAddress === '0.0.0.0' ? '127.0.0.1' : o.bindAddress;
  o.log.info('controller listening', { port });
  return {
    ...accounts,
    url: `http://${host}:${port}`,
    port,
    sequelize,
    async close() {
      stopAttach();
      joins?.unsubscribe();
      await closeServer(server);
      await drains?.stop();
      await outbox.stop();
      hosts.stop();
      await sequelize.close();
    },
  };
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
