/**
 * /apps/:app/builds: the builder's narrow hook endpoints (create a pending build, then
 * record its result) and reads for users.
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../shared';
import { Build, User } from '../models';
import { appFor, currentUser, requireAdmin } from './access';
import type { ControllerServices, State } from './context';
import { presentBuild } from './presenters';
import { page } from './pagination';
import { parseBody } from './validate';

export const createBuild = z.object({
  source_version: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full git commit sha'),
  /** The pushing user, when the builder creates the build on their behalf. */
  user: z.string().optional(),
});

export const finishBuild = z.object({
  status: z.enum(['succeeded', 'failed']),
  image: z.string().optional(),
  process_types: z.record(z.string(), z.string()).optional(),
  buildpacks: z.array(z.object({ name: z.string(), detected: z.string() })).optional(),
});

export function buildRoutes(router: Router<State>, _s: ControllerServices): void {
  router.get('/apps/:app/builds', async (ctx) => {
    const app = await appFor(ctx);
    const builds = await Build.findAll({ where: { appId: app.id }, order: [['createdAt', 'DESC']], ...page(ctx) });
    ctx.body = builds.map(presentBuild);
  });

  router.get('/apps/:app/builds/:id', async (ctx) => {
    const app = await appFor(ctx);
    const build = await Build.findOne({ where: { appId: app.id, id: ctx.params.id } });
    if (!build) throw new NotFoundError(`Couldn't find build ${ctx.params.id}.`);
    ctx.body = presentBuild(build);
  });

  router.post('/apps/:app/builds', async (ctx) => {
    const app = await appFor(ctx);
    const body = parseBody(createBuild, ctx.request.body);
    let userId = currentUser(ctx).id;
    if (body.user) {
      requireAdmin(ctx);
      userId = (await User.findOne({ where: { email: body.user } }))?.id ?? userId;
    }
    const build = await Build.create({
      id: crypto.randomUUID(),
      appId: app.id,
      status: 'pending',
      sourceVersion: body.source_version,
      userId,
      image: null,
      processTypes: null,
      buildpacks: null,
    });
    ctx.status = 201;
    ctx.body = presentBuild(build);
  });

  router.patch('/apps/:app/builds/:id', async (ctx) => {
    requireAdmin(ctx);
    const app = await appFor(ctx);
    const body = parseBody(finishBuild, ctx.request.body);
    const build = await Build.findOne({ where: { appId: app.id, id: ctx.params.id } });
    if (!build) throw new NotFoundError(`Couldn't find build ${ctx.params.id}.`);
    if (build.status !== 'pending') throw new ConflictError(`Build ${build.id} already ${build.status}; a build's result is recorded once.`);
    if (body.status === 'succeeded' && !body.image) throw new ConflictError('A succeeded build needs its image.');
    await build.update({
      status: body.status,
      image: body.image ?? null,
      processTypes: JSON.stringify(body.process_types ?? {}),
      buildpacks: JSON.stringify(body.buildpacks ?? []),
    });
    ctx.body = presentBuild(build);
  });
}
