/** /apps: create, list, show, destroy. */
import { transaction } from '../db';
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, subjects } from '../../shared';
import { emitAfterCommit } from '../events';
import { App, Build, Formation, Job, Release, User } from '../models';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { presentApp } from './presenters';
import { APP_NAME, APP_NAME_HELP, parseBody } from './validate';

const createApp = z.object({ name: z.string().regex(APP_NAME, APP_NAME_HELP) });

export function appRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps', async (ctx) => {
    const user = currentUser(ctx);
    const apps = await App.findAll({ where: user.isAdmin ? {} : { ownerId: user.id }, order: [['name', 'ASC']] });
    ctx.body = apps.map((a) => presentApp(a, s.urls));
  });

  router.post('/apps', async (ctx) => {
    const user = currentUser(ctx);
    const { name } = parseBody(createApp, ctx.request.body);
    if (await App.findOne({ where: { name } })) throw new ConflictError(`Name ${name} is already taken. Choose another name.`, 'name_taken');
    const app = await App.create({ name, ownerId: user.id });
    ctx.status = 201;
    ctx.body = presentApp(app, s.urls, user.email);
  });

  router.get('/apps/:app', async (ctx) => {
    const app = await appFor(ctx);
    const owner = await User.findByPk(app.ownerId);
    ctx.body = presentApp(app, s.urls, owner?.email);
  });

  router.delete('/apps/:app', async (ctx) => {
    const app = await appFor(ctx);
    await transaction(s.sequelize, async (t) => {
      for (const model of [Release, Build, Formation, Job] as const) {
        await (model as typeof Release).destroy({ where: { appId: app.id }, transaction: t });
      }
      await app.destroy({ transaction: t });
      emitAfterCommit(s.nc, t, { subject: subjects.appDeleted, value: { app: app.name } });
    });
    ctx.body = presentApp(app, s.urls);
  });
}
