/** /users (operators create and list accounts) and /account/tokens (a user's API tokens). */
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../shared';
import { hashPassword, issueTokenRecord } from '../auth';
import { Token, User } from '../models';
import { currentUser, requireAdmin } from './access';
import type { State } from './context';
import { page } from './pagination';
import { parseBody } from './validate';

export const createUserBody = z.object({
  email: z.string().email(),
  password: z.string().min(10, 'must be at least 10 characters'),
  admin: z.boolean().optional(),
});
export const createTokenBody = z.object({ description: z.string().max(255).optional() });

export function userRoutes(router: Router<State>): void {
  router.get('/users', async (ctx) => {
    requireAdmin(ctx);
    const users = await User.findAll({ order: [['email', 'ASC']], ...page(ctx) });
    ctx.body = users.filter((u) => u.passwordHash !== '!').map((u) => ({ id: u.id, email: u.email, admin: u.isAdmin }));
  });

  router.post('/users', async (ctx) => {
    requireAdmin(ctx);
    const body = parseBody(createUserBody, ctx.request.body);
    if (await User.findOne({ where: { email: body.email } })) throw new ConflictError(`A user ${body.email} already exists.`, 'user_exists');
    const user = await User.create({ email: body.email, passwordHash: await hashPassword(body.password), isAdmin: body.admin ?? false });
    ctx.status = 201;
    ctx.body = { id: user.id, email: user.email, admin: user.isAdmin };
  });

  router.get('/account/tokens', async (ctx) => {
    const tokens = await Token.findAll({ where: { userId: currentUser(ctx).id }, order: [['id', 'ASC']], ...page(ctx) });
    // Tokens are stored as hashes: a list can only ever show their ids and descriptions.
    ctx.body = tokens.map((t) => ({ id: t.id, description: t.description, created_at: (t as unknown as { createdAt: Date }).createdAt }));
  });

  router.post('/account/tokens', async (ctx) => {
    const body = parseBody(createTokenBody, ctx.request.body);
    const user = currentUser(ctx);
    const { row, token } = await issueTokenRecord(user.id, body.description ?? 'created with the API');
    ctx.status = 201;
    ctx.body = { id: row.id, description: row.description, token };
  });

  router.delete('/account/tokens/:id', async (ctx) => {
    const removed = await Token.destroy({ where: { id: Number(ctx.params.id) || 0, userId: currentUser(ctx).id } });
    if (!removed) throw new NotFoundError(`Couldn't find token ${ctx.params.id}. See \`paas auth:tokens\`.`);
    ctx.status = 204;
  });
}
