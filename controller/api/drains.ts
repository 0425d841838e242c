/**
 * /apps/:app/log-drains (Heroku's Log Drain API): where an app's log lines are forwarded.
 * Add `{url}` (syslog+tls://, syslog://, https://; see drains/drain-url.ts), list (with
 * this controller's delivery status of each), remove by id, token or URL. A drain starts
 * with the lines logged after it was added. Without NATS there are no drains (503).
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { InvalidInputError, NotFoundError, UnavailableError } from '../../shared';
import { transaction } from '../db';
import { LogDrain } from '../drains/drain-model';
import type { DrainStatus } from '../drains/drain-status';
import { parseDrainUrl } from '../drains/drain-url';
import type { DrainForwarder } from '../drains/forwarder';
import { App } from '../models';
import { appFor } from './access';
import type { ControllerServices, State } from './context';
import { parseBody } from './validate';

/** Heroku's limit: a drain is a connection kept open by every controller. */
export const MAX_DRAINS_PER_APP = 5;
export const addDrainBody = z.object({ url: z.string().min(1).max(2048) });

export interface LogDrainView {
  id: string;
  url: string;
  token: string;
  app: { id: number; name: string };
  created_at: string;
  updated_at: string;
  /** What the controller that answered knows of its deliveries; null when it has not run the drain yet. */
  status: DrainStatus | null;
}

function present(d: LogDrain, app: App, forwarder: DrainForwarder): LogDrainView {
  return {
    id: d.id,
    url: d.url,
    token: d.token,
    app: { id: app.id, name: app.name },
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
    status: forwarder.status(d.id) ?? null,
  };
}

function forwarderOf(s: ControllerServices): DrainForwarder {
  if (!s.drains) throw new UnavailableError('Log drains read the logs kept by NATS JetStream, and this controller runs without NATS. Start it with NATS_URL (or under `paas up`).');
  return s.drains;
}

export function drainRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/log-drains', async (ctx) => {
    const app = await appFor(ctx);
    const forwarder = forwarderOf(s);
    const drains = await LogDrain.findAll({ where: { appId: app.id }, order: [['createdAt', 'ASC']] });
    ctx.body = drains.map((d) => present(d, app, forwarder));
  });

  router.post('/apps/:app/log-drains', async (ctx) => {
    const app = await appFor(ctx);
    const forwarder = forwarderOf(s);
    const { url } = parseBody(addDrainBody, ctx.request.body);
    parseDrainUrl(url);
    const drain = await transaction(s.sequelize, async (t) => {
      // The app's row lock makes the duplicate and limit checks hold against a concurrent add.
      await App.findByPk(app.id, { transaction: t, lock: t.LOCK.UPDATE });
      const existing = await LogDrain.findAll({ where: { appId: app.id }, transaction: t });
      if (existing.some((d) => d.url === url)) throw new InvalidInputError(`${app.name} already drains to ${url}. See \`paas drains -a ${app.name}\`.`, 'duplicate_drain');
      if (existing.length >= MAX_DRAINS_PER_APP) {
        throw new InvalidInputError(`${app.name} has ${existing.length} drains, the most an app may have (${MAX_DRAINS_PER_APP}). Remove one with \`paas drains:remove\` first.`, 'too_many_drains');
      }
      return LogDrain.create({ id: crypto.randomUUID(), appId: app.id, url, token: `d.${crypto.randomUUID()}` }, { transaction: t });
    });
    // The consumer after the commit: the forwarder's sweep deletes consumers without a row.
    try {
      await forwarder.consumers.ensure(drain.id, app.name);
    } catch (err) {
      await drain.destroy();
      throw new UnavailableError('The drain could not be set up in NATS JetStream; try again.', err);
    }
    forwarder.reload();
    ctx.status = 201;
    ctx.body = present(drain, app, forwarder);
  });

  router.delete('/apps/:app/log-drains/:drain', async (ctx) => {
    const app = await appFor(ctx);
    const forwarder = forwarderOf(s);
    const key = ctx.params.drain;
    const drains = await LogDrain.findAll({ where: { appId: app.id } });
    const drain = drains.find((d) => d.id === key || d.token === key || d.url === key);
    if (!drain) throw new NotFoundError(`${key} is not a drain of ${app.name}. See \`paas drains -a ${app.name}\` for its drains' URLs and tokens.`);
    await drain.destroy();
    // Delivery stops now; if this fails the forwarder's sweep deletes the consumer.
    await forwarder.consumers.remove(drain.id).catch((err: unknown) => s.log.warn('could not delete a removed drain\'s consumer', { drain: drain.id, err }));
    forwarder.reload();
    ctx.body = present(drain, app, forwarder);
  });
}
