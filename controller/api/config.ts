/** /apps/:app/config-vars: read, and change (each change is a new release). */
import type Router from '@koa/router';
import { z } from 'zod';
import { changeConfig, parseConfig } from '../releases';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { parseBody } from './validate';

// Values are any string a user can type, kept byte-exact; null removes the key.
export const patchConfig = z.record(z.string(), z.string().nullable());

export function configRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/config-vars', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = parseConfig(app.config);
  });

  router.patch('/apps/:app/config-vars', async (ctx) => {
    const app = await appFor(ctx);
    const changes = parseBody(patchConfig, ctx.request.body);
    ctx.body = await changeConfig(s.sequelize, app, changes, currentUser(ctx).id, s.outbox);
  });
}
