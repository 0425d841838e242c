/**
 * Deploys: the scheduler's record of rolling a release out. Starting one supersedes the
 * app's pending deploy; finishing one decides the release's status, and a failed deploy
 * puts the app back on the release that served before, in one transaction with the
 * events that make the scheduler and routers follow (RELIABILITY.md T3).
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { Op } from 'sequelize';
import { z } from 'zod';
import { ConflictError, NotFoundError, subjects } from '../../shared';
import { transaction } from '../db';
import { App, Deploy, Release } from '../models';
import { appFor, requireAdmin } from './access';
import type { ControllerServices, State } from './context';
import { page } from './pagination';
import { presentDeploy } from './presenters';
import { parseBody } from './validate';

export const startDeployBody = z.object({
  app: z.string(),
  release: z.number().int().positive(),
  from: z.number().int().positive().nullable(),
});

export const finishDeployBody = z.object({
  status: z.enum(['succeeded', 'failed']),
  /** Why it failed, in words the user can act on (it is shown by `git push` and `paas releases`). */
  reason: z.string().max(2000).optional(),
});

export function deployRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/deploys', async (ctx) => {
    const app = await appFor(ctx);
    const deploys = await Deploy.findAll({ where: { appId: app.id }, order: [['createdAt', 'DESC'], ['release', 'DESC']], ...page(ctx) });
    ctx.body = deploys.map((d) => presentDeploy(d, app.name));
  });

  router.post('/scheduler/deploys', async (ctx) => {
    requireAdmin(ctx);
    const body = parseBody(startDeployBody, ctx.request.body);
    const app = await App.findOne({ where: { name: body.app } });
    if (!app) throw new NotFoundError(`No app ${body.app}; it was destroyed. Stop its jobs.`);
    const deploy = await transaction(s.sequelize, async (t) => {
      const release = await Release.findOne({ where: { appId: app.id, version: body.release }, transaction: t });
      if (!release) throw new NotFoundError(`${body.app} has no release v${body.release}.`, 'release_not_found');
      const now = new Date();
      const pending = await Deploy.findAll({ where: { appId: app.id, status: 'pending' }, transaction: t, lock: t.LOCK.UPDATE });
      for (const p of pending) {
        const reason = `Superseded by v${body.release} before its deploy finished.`;
        await p.update({ status: 'superseded', reason, finishedAt: now }, { transaction: t });
        // The same release deployed again (a scheduler's restart) stays pending; an older one never finishes.
        if (p.release !== body.release) {
          await Release.update({ status: 'failed', statusReason: reason }, { where: { appId: app.id, version: p.release, status: 'pending' }, transaction: t });
        }
      }
      return Deploy.create({ id: crypto.randomUUID(), appId: app.id, release: body.release, fromVersion: body.from, status: 'pending' }, { transaction: t });
    });
    ctx.status = 201;
    ctx.body = presentDeploy(deploy, app.name);
  });

  router.patch('/scheduler/deploys/:id', async (ctx) => {
    requireAdmin(ctx);
    const body = parseBody(finishDeployBody, ctx.request.body);
    const result = await transaction(s.sequelize, async (t) => {
      const deploy = await Deploy.findByPk(ctx.params.id, { transaction: t, lock: t.LOCK.UPDATE });
      if (!deploy) throw new NotFoundError(`No deploy ${ctx.params.id}.`, 'deploy_not_found');
      const app = await App.findByPk(deploy.appId, { transaction: t, lock: t.LOCK.UPDATE });
      if (!app) throw new NotFoundError(`The app of deploy ${deploy.id} was destroyed.`);
      // A retried report of the same outcome is answered as the first one was.
      if (deploy.status === body.status) return { deploy, app };
      if (deploy.status !== 'pending') {
        throw new ConflictError(`Deploy ${deploy.id} is already ${deploy.status}; a newer deploy of ${app.name} owns the app now.`, 'deploy_finished');
      }
      const reason = body.status === 'failed' ? (body.reason ?? 'The deploy failed.') : null;
      await deploy.update({ status: body.status, reason, finishedAt: new Date() }, { transaction: t });
      await Release.update({ status: body.status, statusReason: reason }, { where: { appId: app.id, version: deploy.release }, transaction: t });
      if (body.status === 'failed' && app.releaseVersion === deploy.release) {
        // The previous release keeps serving: it becomes current again, with its config.
        const from = deploy.fromVersion ? await Release.findOne({ where: { appId: app.id, version: deploy.fromVersion }, transaction: t }) : null;
        await app.update({ releaseVersion: from?.version ?? 0, ...(from ? { config: from.config } : {}) }, { transaction: t });
        await s.outbox.record(t, { subject: subjects.formationUpdated, value: { app: app.name } });
        await s.outbox.record(t, { subject: subjects.routesChanged, value: { app: app.name } });
      }
      return { deploy, app };
    });
    ctx.body = presentDeploy(result.deploy, result.app.name);
  });
}

/** The last succeeded release before `version`: where a failed deploy of it returns to. */
export async function previousSucceeded(appId: number, version: number): Promise<number | null> {
  const r = await Release.findOne({ where: { appId, status: 'succeeded', version: { [Op.lt]: version } }, order: [['version', 'DESC']] });
  return r?.version ?? null;
}
