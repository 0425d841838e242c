/** /apps/:app/formation (process counts and sizes) and /apps/:app/dynos (its jobs). */
import { transaction } from '../db';
import type Router from '@koa/router';
import { z } from 'zod';
import { InvalidInputError, subjects } from '../../shared';
import { Build, Formation, Job, Release } from '../models';
import { appFor } from './access';
import type { ControllerServices, State } from './context';
import { presentFormation, presentJob } from './presenters';
import { parseBody } from './validate';

export const SIZES = ['standard', 'performance'] as const;

export const updateFormation = z.object({
  updates: z
    .array(z.object({ type: z.string(), quantity: z.number().int().min(0).max(100).optional(), size: z.enum(SIZES).optional() }))
    .min(1),
});

export function formationRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/formation', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = (await Formation.findAll({ where: { appId: app.id }, order: [['type', 'ASC']] })).map(presentFormation);
  });

  router.patch('/apps/:app/formation', async (ctx) => {
    const app = await appFor(ctx);
    const { updates } = parseBody(updateFormation, ctx.request.body);
    const release = await Release.findOne({ where: { appId: app.id, version: app.releaseVersion } });
    const build = release?.buildId ? await Build.findByPk(release.buildId) : null;
    const types = Object.keys(JSON.parse(build?.processTypes ?? '{}') as Record<string, string>);
    for (const u of updates) {
      if (!types.includes(u.type)) {
        throw new InvalidInputError(
          types.length
            ? `Couldn't find that process type (${u.type}). This app's types are: ${types.join(', ')}.`
            : `This app has no process types yet: push code with a Procfile first (git push paas main).`,
          'unknown_process_type',
        );
      }
    }
    await transaction(s.sequelize, async (t) => {
      for (const u of updates) {
        const [f] = await Formation.findOrCreate({
          where: { appId: app.id, type: u.type },
          defaults: { appId: app.id, type: u.type, quantity: 0, size: 'standard' },
          transaction: t,
        });
        await f.update({ quantity: u.quantity ?? f.quantity, size: u.size ?? f.size }, { transaction: t });
      }
      await s.outbox.record(t, { subject: subjects.formationUpdated, value: { app: app.name } });
    });
    ctx.body = (await Formation.findAll({ where: { appId: app.id }, order: [['type', 'ASC']] })).map(presentFormation);
  });

  router.get('/apps/:app/dynos', async (ctx) => {
    const app = await appFor(ctx);
    const jobs = await Job.findAll({ where: { appId: app.id }, order: [['type', 'ASC'], ['createdAt', 'ASC']] });
    const counters = new Map<string, number>();
    ctx.body = jobs.map((j) => {
      const n = (counters.get(j.type) ?? 0) + 1;
      counters.set(j.type, n);
      return presentJob(j, app.name, `${j.type}.${n}`);
    });
  });
}
