/** /apps/:app/collaborators: who besides the owner may use an app. */
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../shared';
import { Collaborator, User } from '../models';
import { appFor, appForOwner } from './access';
import type { State } from './context';
import { parseBody } from './validate';

export const addCollaboratorBody = z.object({ user: z.string().email() });

export function collaboratorRoutes(router: Router<State>): void {
  router.get('/apps/:app/collaborators', async (ctx) => {
    const app = await appFor(ctx);
    const rows = await Collaborator.findAll({ where: { appId: app.id }, order: [['id', 'ASC']] });
    const users = await User.findAll({ where: { id: rows.map((r) => r.userId) } });
    const owner = await User.findByPk(app.ownerId);
    ctx.body = [
      { user: owner?.email ?? null, role: 'owner' },
      ...users.map((u) => ({ user: u.email, role: 'collaborator' })),
    ];
  });

  router.post('/apps/:app/collaborators', async (ctx) => {
    const app = await appForOwner(ctx);
    const { user: email } = parseBody(addCollaboratorBody, ctx.request.body);
    const user = await User.findOne({ where: { email } });
    if (!user) throw new NotFoundError(`There is no user ${email}. An operator can create it first.`, 'user_not_found');
    if (user.id === app.ownerId || (await Collaborator.findOne({ where: { appId: app.id, userId: user.id } }))) {
      throw new ConflictError(`${email} already has access to ${app.name}.`, 'already_collaborator');
    }
    await Collaborator.create({ appId: app.id, userId: user.id });
    ctx.status = 201;
    ctx.body = { user: email, role: 'collaborator' };
  });

  router.delete('/apps/:app/collaborators/:user', async (ctx) => {
    const app = await appForOwner(ctx);
    const user = await User.findOne({ where: { email: ctx.params.user } });
    const removed = user ? await Collaborator.destroy({ where: { appId: app.id, userId: user.id } }) : 0;
    if (!removed) throw new NotFoundError(`${ctx.params.user} is not a collaborator on ${app.name}.`);
    ctx.status = 204;
  });
}
