/** What every route handler can use: the request's user and the controller's services. */
import type { RouterContext } from '@koa/router';
import type { NatsConnection } from 'nats';
import type { Sequelize } from 'sequelize';
import type { Logger } from '../../shared';
import type { User } from '../models';

export interface ControllerServices {
  sequelize: Sequelize;
  /** Absent only in unit tests; events are then not published. */
  nc?: NatsConnection;
  log: Logger;
  domain: string;
  /** How users reach an app: its web URL and its git remote. */
  urls: AppUrls;
}

export interface AppUrls {
  web(app: string): string;
  git(app: string): string;
}

export interface State {
  user?: User;
  requestId: string;
}

export type Ctx = RouterContext<State> & { request: { body?: unknown } };
