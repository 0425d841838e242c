/** /login (email + password → a new API token) and /account. */
import type Router from '@koa/router';
import { z } from 'zod';
import { UnauthorizedError } from '../../shared';
import { issueToken, verifyPassword } from '../auth';
import { User } from '../models';
import { currentUser } from './access';
import type { State } from './context';
import { parseBody } from './validate';

export const login = z.object({ email: z.string().min(1), password: z.string().min(1), description: z.string().max(255).optional() });

/** Routes that need no token. */
export function publicAccountRoutes(router: Router<State>): void {
  router.post('/login', async (ctx) => {
    const body = parseBody(login, ctx.request.body);
    const user = await User.findOne({ where: { email: body.email } });
    if (!user || !(await verifyPassword(body.password, user.passwordHash))) {
      throw new UnauthorizedError('Invalid email or password. Check them and run `paas login` again.');
    }
    const token = await issueToken(user.id, body.description ?? 'paas login');
    ctx.status = 201;
    ctx.body = { email: user.email, token };
  });
}

export function accountRoutes(router: Router<State>): void {
  router.get('/account', (ctx) => {
    const user = currentUser(ctx);
    ctx.body = { id: user.id, email: user.email, admin: user.isAdmin };
  });
}
