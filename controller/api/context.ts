/** What every route handler can use: the request's user and the controller's services. */
import type { DrainForwarder } from '../drains/forwarder';
import type { LogStore } from '../logs/log-store';
import type { MetricsStore } from '../metrics/metrics-store';
import type { RouterContext } from '@koa/router';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../../shared';
import type { Outbox } from '../events';
import type { HostDirectory } from '../hosts';
import type { User } from '../models';

export interface ControllerServices {
  sequelize: Sequelize;
  /** Events written with the change that causes them, relayed to NATS. */
  outbox: Outbox;
  /** Hosts as their heartbeats describe them. */
  hosts: HostDirectory;
  /** API requests per user per hour (Heroku: 4500). */
  rateLimitPerHour: number;
  log: Logger;
  domain: string;
  /** How users reach an app: its web URL and its git remote. */
  urls: AppUrls;
  /** Where secrets/certs-key (the key that seals certificates' private keys) lives. */
  dataDir?: string;
  /** Apps' recent log lines (NATS JetStream); absent without NATS. */
  logs?: LogStore;
  /** Apps' last hour of process and request metrics (NATS JetStream); absent without NATS. */
  metrics?: MetricsStore;
  /** NATS as joining hosts reach it, for the command `paas hosts:join-token` prints; absent: unknown (loopback). */
  joinNatsUrl?: string;
  /** Log drains: their JetStream consumers and delivery status; absent without NATS. */
  drains?: DrainForwarder;
}

export interface AppUrls {
  web(app: string): string;
  git(app: string): string;
}

export interface State {
  user?: User;
  requestId: string;
  /** Set by paginated lists (see pagination.ts). */
  page?: { limit: number; offset: number };
}

export type Ctx = RouterContext<State> & { request: { body?: unknown } };
