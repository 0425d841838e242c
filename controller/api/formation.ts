/** /apps/:app/formation: process counts and sizes (the dynos themselves are in dynos.ts). */
import { transaction } from '../db';
import type Router from '@koa/router';
import { z } from 'zod';
import { InvalidInputError, subjects } from '../../shared';
import { Build, Formation, Release } from '../models';
import { appFor, currentUser } from './access';
import { recordApiLines } from '../api-log';
import type { ControllerServices, State } from './context';
import { presentFormation } from './presenters';
import { DEFAULT_SIZE, normalizeSize, SIZE_ALIASES, SIZE_NAMES } from './sizes';
import { parseBody } from './validate';

/** A size name as users type it (Heroku's names, any case, or paas's old ones), stored normalized. */
export const sizeInput = z
  .string()
  .refine((s) => normalizeSize(s) !== null, {
    message: `unknown size; use one of ${SIZE_NAMES.join(', ')} (\`paas ps:type\` shows their memory and CPUs)`,
  })
  .transform((s) => normalizeSize(s) as string)
  .meta({ description: `one of ${SIZE_NAMES.join(', ')} (also ${Object.keys(SIZE_ALIASES).join(', ')})` });

export const updateFormation = z.object({
  updates: z
    .array(z.object({ type: z.string(), quantity: z.number().int().min(0).max(100).optional(), size: sizeInput.optional() }))
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
          defaults: { appId: app.id, type: u.type, quantity: 0, size: DEFAULT_SIZE },
          transaction: t,
        });
        await f.update({ quantity: u.quantity ?? f.quantity, size: u.size ?? f.size }, { transaction: t });
      }
      await s.outbox.record(t, { subject: subjects.formationUpdated, value: { app: app.name } });
      const now = await Formation.findAll({ where: { appId: app.id }, order: [['type', 'ASC']], transaction: t });
      const changed = now.filter((f) => updates.some((u) => u.type === f.type));
      await recordApiLines(s.outbox, t, app.name, [`Scale to ${changed.map((f) => `${f.type}=${f.quantity}:${f.size}`).join(', ')} by ${currentUser(ctx).email}`]);
    });
    ctx.body = (await Formation.findAll({ where: { appId: app.id }, order: [['type', 'ASC']] })).map(presentFormation);
  });
}
