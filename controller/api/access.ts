/** Authentication (Bearer token or HTTP basic with the token as password) and app access. */
import type { Next } from 'koa';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../shared';
import { userForToken } from '../auth';
import { App, Collaborator, type User } from '../models';
import type { Ctx } from './context';

function tokenFrom(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

export async function authenticate(ctx: Ctx, next: Next): Promise<void> {
  ctx.state.user = await userForAuthorization(ctx.get('authorization') || undefined);
  await next();
}

/** The user an Authorization header names, or UnauthorizedError. */
export async function userForAuthorization(header: string | undefined): Promise<User> {
  const token = tokenFrom(header);
  const user = token ? await userForToken(token) : null;
  if (!user) throw new UnauthorizedError();
  return user;
}

export function currentUser(ctx: Ctx): User {
  if (!ctx.state.user) throw new UnauthorizedError();
  return ctx.state.user;
}

export function requireAdmin(ctx: Ctx): User {
  const user = currentUser(ctx);
  if (!user.isAdmin) throw new ForbiddenError('This needs an operator (admin) account.');
  return user;
}

/**
 * The app named in the path, if the user may use it: its owner, a collaborator, or an
 * operator. An app the user may not see answers exactly like one that does not exist.
 */
export async function appFor(ctx: Ctx): Promise<App> {
  return appForUser(currentUser(ctx), ctx.params.app ?? '');
}

/** appFor outside a request's context (the attach WebSocket). */
export async function appForUser(user: User, name: string): Promise<App> {
  const app = await App.findOne({ where: { name } });
  if (app && (app.ownerId === user.id || user.isAdmin || (await Collaborator.findOne({ where: { appId: app.id, userId: user.id } })))) return app;
  // The name the user gave, so that a typo or a wrong --remote shows at a glance.
  throw new NotFoundError(`Couldn't find that app: ${name}. Check the name with \`paas apps\` (the apps you can use; the owner gives access with \`paas access:add\`).`);
}

/** Like appFor, but only the owner (or an operator) may go on: destroy, manage access. */
export async function appForOwner(ctx: Ctx): Promise<App> {
  const app = await appFor(ctx);
  const user = currentUser(ctx);
  if (app.ownerId !== user.id && !user.isAdmin) throw new ForbiddenError(`Only the owner of ${app.name} can do that. \`paas access -a ${app.name}\` shows who owns it.`);
  return app;
}
