/**
 * /apps/:app/dynos: the app's processes (Heroku's Dyno resource). Listing, restarts of
 * all, one type or one dyno, stopping one, and detached one-off processes. The
 * controller records and announces (outbox); the scheduler does the work.
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { z } from 'zod';
import { errorMessage, InvalidInputError, NotFoundError, subjects, type DynoSample } from '../../shared';
import { recordApiLines } from '../api-log';
import { transaction } from '../db';
import { Build, Formation, Job, OneOffRequestRow, Release, type App } from '../models';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { sizeInput } from './formation';
import { presentJob, presentOneOffRequest, presentUsage, type DynoView } from './presenters';
import { DEFAULT_SIZE } from './sizes';
import { parseBody } from './validate';
import { attachPath } from '../attach/attach-path';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const runDyno = z
  .object({
    command: z.string().min(1).max(4096),
    size: sizeInput.optional(),
    env: z
      .record(z.string(), z.string().max(32 * 1024))
      .refine((env) => Object.keys(env).every((k) => ENV_KEY.test(k)), { message: 'env names are letters, digits and underscores, not starting with a digit' })
      .optional(),
    /** Attached: the command waits for the user's terminal (a WebSocket to attach_url, see controller/attach). */
    attach: z.boolean().optional(),
  })
  .strict();

/** The app's dynos as `paas ps` shows them: placed jobs, then one-offs waiting for a host. */
export async function listDynos(app: App): Promise<DynoView[]> {
  const [jobs, formation, requests] = await Promise.all([
    Job.findAll({ where: { appId: app.id }, order: [['type', 'ASC'], ['createdAt', 'ASC']] }),
    Formation.findAll({ where: { appId: app.id } }),
    OneOffRequestRow.findAll({ where: { appId: app.id }, order: [['createdAt', 'ASC']] }),
  ]);
  const sizeOfType = new Map(formation.map((f) => [f.type, f.size]));
  const oneOffSize = new Map(requests.map((r) => [r.id, r.size]));
  // Jobs reported before the scheduler named them get Heroku's numbering in order of creation.
  const counters = new Map<string, number>();
  const placed = jobs.map((j) => {
    const n = (counters.get(j.type) ?? 0) + 1;
    counters.set(j.type, n);
    const size = j.oneOff ? (oneOffSize.get(j.id) ?? null) : (sizeOfType.get(j.type) ?? null);
    return presentJob(j, app.name, j.dyno ?? `${j.type}.${n}`, size);
  });
  return [...placed, ...requests.filter((r) => !r.placed).map((r) => presentOneOffRequest(r, app.name, app.releaseVersion))];
}

async function processTypes(app: App): Promise<string[]> {
  const release = app.releaseVersion ? await Release.findOne({ where: { appId: app.id, version: app.releaseVersion } }) : null;
  const build = release?.buildId ? await Build.findByPk(release.buildId) : null;
  const formation = await Formation.findAll({ where: { appId: app.id } });
  return [...new Set([...Object.keys(JSON.parse(build?.processTypes ?? '{}') as Record<string, string>), ...formation.map((f) => f.type)])].sort();
}

/** The processes' latest samples; `paas ps` still answers (without them) when metrics fail. */
async function latestUsage(s: ControllerServices, app: string): Promise<Map<string, DynoSample>> {
  if (!s.metrics) return new Map();
  return s.metrics.latestDynos(app).catch((err: unknown) => {
    s.log.warn('no process metrics for ps', { app, err: errorMessage(err) });
    return new Map<string, DynoSample>();
  });
}

function withUsage(dynos: DynoView[], samples: Map<string, DynoSample>): DynoView[] {
  return dynos.map((d) => {
    const sample = d.state === 'up' || d.state === 'starting' ? samples.get(d.id) : undefined;
    return { ...d, usage: sample ? presentUsage(sample) : null };
  });
}

/** `web.2` names a dyno, `web` a process type: Heroku's rule (a dot means one dyno). */
const isDynoName = (s: string): boolean => s.includes('.');

async function findDyno(app: App, name: string): Promise<DynoView> {
  const dyno = (await listDynos(app)).find((d) => d.name === name);
  if (!dyno) throw new NotFoundError(`Couldn't find dyno ${name} of ${app.name}. See \`paas ps -a ${app.name}\` for its dynos.`, 'dyno_not_found');
  return dyno;
}

/** run.NNNN, as Heroku names one-off dynos: four digits not in use by the app. */
async function freeRunName(app: App): Promise<string> {
  const taken = new Set((await listDynos(app)).map((d) => d.name));
  for (;;) {
    const name = `run.${crypto.randomInt(1000, 10000)}`;
    if (!taken.has(name)) return name;
  }
}

export function dynoRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/dynos', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = withUsage(await listDynos(app), await latestUsage(s, app.name));
  });

  router.get('/apps/:app/dynos/:dyno', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = withUsage([await findDyno(app, ctx.params.dyno)], await latestUsage(s, app.name))[0];
  });

  router.delete('/apps/:app/dynos', async (ctx) => {
    const app = await appFor(ctx);
    await transaction(s.sequelize, async (t) => {
      await s.outbox.record(t, { subject: subjects.dynosRestart, value: { app: app.name } });
      await recordApiLines(s.outbox, t, app.name, [`Restart by ${currentUser(ctx).email}`]);
    });
    ctx.status = 202;
    ctx.body = {};
  });

  router.delete('/apps/:app/dynos/:dyno', async (ctx) => {
    const app = await appFor(ctx);
    const target = ctx.params.dyno;
    let value: { app: string; dyno?: string; type?: string };
    if (isDynoName(target)) {
      await findDyno(app, target);
      value = { app: app.name, dyno: target };
    } else {
      const types = await processTypes(app);
      if (!types.includes(target)) {
        throw new NotFoundError(
          types.length ? `No process type ${target} in ${app.name}; its types are: ${types.join(', ')}.` : `${app.name} has no processes yet: push code first (git push paas main).`,
          'dyno_not_found',
        );
      }
      value = { app: app.name, type: target };
    }
    await transaction(s.sequelize, async (t) => {
      await s.outbox.record(t, { subject: subjects.dynosRestart, value });
      await recordApiLines(s.outbox, t, app.name, [`Restart ${target} by ${currentUser(ctx).email}`]);
    });
    ctx.status = 202;
    ctx.body = {};
  });

  router.post('/apps/:app/dynos/:dyno/actions/stop', async (ctx) => {
    const app = await appFor(ctx);
    const name = ctx.params.dyno;
    if (!isDynoName(name)) {
      throw new InvalidInputError(`${name} is a process type, not a dyno: stop one dyno like ${name}.1, or scale the type down with \`paas ps:scale ${name}=0\`.`, 'invalid_dyno');
    }
    const dyno = await findDyno(app, name);
    await transaction(s.sequelize, async (t) => {
      // A one-off still waiting for a host is simply withdrawn.
      if (dyno.state === 'requested') await OneOffRequestRow.destroy({ where: { id: dyno.id }, transaction: t });
      await s.outbox.record(t, { subject: subjects.dynosStop, value: { app: app.name, dyno: name } });
      await recordApiLines(s.outbox, t, app.name, [`Stop ${name} by ${currentUser(ctx).email}`]);
    });
    ctx.status = 202;
    ctx.body = {};
  });

  router.post('/apps/:app/dynos', async (ctx) => {
    const app = await appFor(ctx);
    const body = parseBody(runDyno, ctx.request.body);
    const release = app.releaseVersion ? await Release.findOne({ where: { appId: app.id, version: app.releaseVersion } }) : null;
    if (!release?.buildId) throw new InvalidInputError(`${app.name} has no code yet: push some first (git push paas main), then run commands.`, 'no_release');
    const dyno = await freeRunName(app);
    const id = `${app.name}-run-${dyno.slice(4)}-${crypto.randomBytes(5).toString('hex')}`;
    const row = await transaction(s.sequelize, async (t) => {
      const created = await OneOffRequestRow.create(
        { id, appId: app.id, dyno, command: body.command, size: body.size ?? DEFAULT_SIZE, env: JSON.stringify(body.env ?? {}), userId: currentUser(ctx).id, attach: body.attach === true },
        { transaction: t },
      );
      await s.outbox.record(t, { subject: subjects.oneOffRequested, value: { app: app.name } });
      // Heroku's words for a one-off: the command as typed, and who ran it.
      await recordApiLines(s.outbox, t, app.name, [`Starting process with command \`${body.command}\` by ${currentUser(ctx).email}`]);
      return created;
    });
    ctx.status = 201;
    ctx.body = {
      ...presentOneOffRequest(row, app.name, app.releaseVersion),
      command: row.command,
      attach: row.attach,
      // Heroku's attach_url is a rendezvous address; ours is this API's WebSocket endpoint.
      ...(row.attach ? { attach_url: `${ctx.protocol === 'https' ? 'wss' : 'ws'}://${ctx.host}${attachPath(app.name, dyno)}` } : {}),
    };
  });
}

