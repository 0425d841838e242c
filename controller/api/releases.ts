/** /apps/:app/releases: list, show, and release a succeeded build. */
import type Router from '@koa/router';
import { z } from 'zod';
import { NotFoundError } from '../../shared';
import { Build, Release } from '../models';
import { releaseBuild } from '../releases';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { presentRelease } from './presenters';
import { parseBody } from './validate';

const createRelease = z.object({ build_id: z.string() });

export function releaseRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/releases', async (ctx) => {
    const app = await appFor(ctx);
    const releases = await Release.findAll({ where: { appId: app.id }, order: [['version', 'DESC']], limit: 100 });
    ctx.body = releases.map((r) => presentRelease(r, app.releaseVersion));
  });

  router.get('/apps/:app/releases/:version', async (ctx) => {
    const app = await appFor(ctx);
    const version = Number(String(ctx.params.version).replace(/^v/, ''));
    const release = Number.isInteger(version) ? await Release.findOne({ where: { appId: app.id, version } }) : null;
    if (!release) throw new NotFoundError(`Couldn't find release ${ctx.params.version}. See \`paas releases\` for the list.`);
    ctx.body = presentRelease(release, app.releaseVersion);
  });

  router.post('/apps/:app/releases', async (ctx) => {
    const app = await appFor(ctx);
    const { build_id } = parseBody(createRelease, ctx.request.body);
    const build = await Build.findOne({ where: { appId: app.id, id: build_id } });
    if (!build) throw new NotFoundError(`Couldn't find build ${build_id}.`);
    const release = await releaseBuild(s.sequelize, app, build, build.userId ?? currentUser(ctx).id, s.nc);
    ctx.status = 201;
    ctx.body = presentRelease(release, release.version);
  });
}
