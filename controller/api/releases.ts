/** /apps/:app/releases: list, show, and release a succeeded build. */
import type Router from '@koa/router';
import { z } from 'zod';
import { NotFoundError } from '../../shared';
import { Build, Release } from '../models';
import { parseConfig, releaseBuild, rollback } from '../releases';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { presentRelease } from './presenters';
import { page } from './pagination';
import { parseBody } from './validate';

/** Either a build to release, or (Heroku's rollback) the version whose build and config to reuse. */
export const createReleaseBody = z.union([
  z.object({ build_id: z.string().min(1) }).strict(),
  z.object({ release: z.union([z.number().int().positive(), z.string().regex(/^v?\d+$/, 'must be a version like v3')]) }).strict(),
]);

export function releaseRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/releases', async (ctx) => {
    const app = await appFor(ctx);
    const releases = await Release.findAll({ where: { appId: app.id }, order: [['version', 'DESC']], ...page(ctx) });
    ctx.body = releases.map((r) => presentRelease(r, app.releaseVersion));
  });

  router.get('/apps/:app/releases/:version', async (ctx) => {
    const app = await appFor(ctx);
    const version = Number(String(ctx.params.version).replace(/^v/, ''));
    const release = Number.isInteger(version) ? await Release.findOne({ where: { appId: app.id, version } }) : null;
    if (!release) throw new NotFoundError(`Couldn't find release ${ctx.params.version}. See \`paas releases\` for the list.`);
    ctx.body = presentRelease(release, app.releaseVersion);
  });

  router.get('/apps/:app/releases/:version/config-vars', async (ctx) => {
    const app = await appFor(ctx);
    const version = Number(String(ctx.params.version).replace(/^v/, ''));
    const release = Number.isInteger(version) ? await Release.findOne({ where: { appId: app.id, version } }) : null;
    if (!release) throw new NotFoundError(`Couldn't find release ${ctx.params.version}. See \`paas releases\` for the list.`);
    ctx.body = parseConfig(release.config);
  });

  router.post('/apps/:app/releases', async (ctx) => {
    const app = await appFor(ctx);
    const body = parseBody(createReleaseBody, ctx.request.body);
    if ('release' in body) {
      const version = typeof body.release === 'number' ? body.release : Number(body.release.replace(/^v/, ''));
      const release = await rollback(s.sequelize, app, version, currentUser(ctx).id, s.outbox);
      ctx.status = 201;
      ctx.body = presentRelease(release, release.version);
      return;
    }
    const { build_id } = body;
    const build = await Build.findOne({ where: { appId: app.id, id: build_id } });
    if (!build) throw new NotFoundError(`Couldn't find build ${build_id}.`);
    const release = await releaseBuild(s.sequelize, app, build, build.userId ?? currentUser(ctx).id, s.outbox);
    ctx.status = 201;
    ctx.body = presentRelease(release, release.version);
  });
}
