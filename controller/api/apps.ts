/** /apps: create, list, show, destroy (rename: app-rename.ts). */
import { transaction } from '../db';
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, errorMessage, subjects } from '../../shared';
import { Op } from 'sequelize';
import { App, Build, Collaborator, Deploy, Domain, Formation, Job, OneOffRequestRow, Release, User } from '../models';
import { Cert, HttpsSetting } from '../cert-models';
import { LogDrain } from '../drains/drain-model';
import { page } from './pagination';
import { appFor, appForOwner, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { presentApp } from './presenters';
import { APP_NAME, APP_NAME_HELP, parseBody } from './validate';

export const createApp = z.object({ name: z.string().regex(APP_NAME, APP_NAME_HELP) });

/** Names are unique: apps:create and apps:rename refuse a taken one alike. */
export const nameTaken = (name: string): ConflictError => new ConflictError(`Name ${name} is already taken. Choose another name.`, 'name_taken');

export async function assertNameFree(name: string): Promise<void> {
  if (await App.findOne({ where: { name } })) throw nameTaken(name);
}

export function appRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps', async (ctx) => {
    const user = currentUser(ctx);
    const shared = (await Collaborator.findAll({ where: { userId: user.id } })).map((c) => c.appId);
    const where = user.isAdmin ? {} : { [Op.or]: [{ ownerId: user.id }, { id: shared }] };
    const apps = await App.findAll({ where, order: [['name', 'ASC']], ...page(ctx) });
    ctx.body = apps.map((a) => presentApp(a, s.urls));
  });

  router.post('/apps', async (ctx) => {
    const user = currentUser(ctx);
    const { name } = parseBody(createApp, ctx.request.body);
    await assertNameFree(name);
    const app = await App.create({ name, ownerId: user.id });
    // What the name may still hold (a renamed app's processes write under it until replaced) is not this app's.
    await s.logs?.purge(name).catch((err: unknown) => s.log.warn('could not clear the log lines of a new app', { app: name, err: errorMessage(err) }));
    await s.metrics?.purge(name).catch((err: unknown) => s.log.warn('could not clear the metrics of a new app', { app: name, err: errorMessage(err) }));
    ctx.status = 201;
    ctx.body = presentApp(app, s.urls, user.email);
  });

  router.get('/apps/:app', async (ctx) => {
    const app = await appFor(ctx);
    const owner = await User.findByPk(app.ownerId);
    ctx.body = presentApp(app, s.urls, owner?.email);
  });

  router.delete('/apps/:app', async (ctx) => {
    const app = await appForOwner(ctx);
    const drains = await LogDrain.findAll({ where: { appId: app.id } });
    await transaction(s.sequelize, async (t) => {
      for (const model of [Release, Build, Formation, Job, Collaborator, Domain, Deploy, OneOffRequestRow, Cert, HttpsSetting, LogDrain] as const) {
        await (model as typeof Release).destroy({ where: { appId: app.id }, transaction: t });
      }
      await app.destroy({ transaction: t });
      await s.outbox.record(t, { subject: subjects.appDeleted, value: { app: app.name } });
    });
    // Its drains stop now (the forwarder's sweep deletes any consumer this misses).
    for (const d of drains) await s.drains?.consumers.remove(d.id).catch((err: unknown) => s.log.warn('could not delete a drain consumer of a destroyed app', { drain: d.id, err: errorMessage(err) }));
    s.drains?.reload();
    // Its log lines go with it: a new app of the same name starts with none.
    await s.logs?.purge(app.name).catch((err: unknown) => s.log.warn('could not delete the log lines of a destroyed app', { app: app.name, err: errorMessage(err) }));
    await s.metrics?.purge(app.name).catch((err: unknown) => s.log.warn('could not delete the metrics of a destroyed app', { app: app.name, err: errorMessage(err) }));
    ctx.body = presentApp(app, s.urls);
  });
}
