/**
 * /apps/:app/builds: the builder's narrow hook endpoints (create a pending build, then
 * record its result with the log), reads for users (the log too, later), the sweep of
 * builds a dead builder left pending (T11), and the app's buildpack setting
 * (/apps/:app/buildpack-installations, shaped like Heroku's).
 */
import crypto from 'node:crypto';
import type Router from '@koa/router';
import { Op } from 'sequelize';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../shared';
import { App, Build, User } from '../models';
import { appFor, currentUser, requireAdmin } from './access';
import type { ControllerServices, State } from './context';
import { page } from './pagination';
import { parseBody } from './validate';

/** The most of a build log the controller keeps (the builder bounds it the same way). */
export const BUILD_OUTPUT_LIMIT = 10 * 1024 * 1024;

export const createBuild = z.object({
  source_version: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full git commit sha'),
  /** The pushing user, when the builder creates the build on their behalf. */
  user: z.string().optional(),
});

export const finishBuild = z.object({
  status: z.enum(['succeeded', 'failed']),
  image: z.string().optional(),
  image_digest: z.string().regex(/^sha256:[0-9a-f]{64}$/).optional(),
  image_size: z.number().int().nonnegative().optional(),
  duration_ms: z.number().int().nonnegative().optional(),
  output: z.string().max(BUILD_OUTPUT_LIMIT + 1024).optional(),
  process_types: z.record(z.string(), z.string()).optional(),
  buildpacks: z.array(z.object({ name: z.string(), detected: z.string() })).optional(),
  /** app.json's startup health checks per process type (builder/app-json.ts reads them). */
  healthchecks: z
    .record(
      z.string(),
      z.object({ path: z.string().startsWith('/'), timeoutMs: z.number().int().positive().optional(), attempts: z.number().int().positive().max(100).optional() }),
    )
    .optional(),
});

export const interruptBuilds = z.object({
  /** The line appended to each build's log, saying what happened and what to do. */
  message: z.string().min(1).max(1000),
  /** What the builder had of each build's log when it stopped, by build ID. */
  outputs: z.record(z.string(), z.string().max(BUILD_OUTPUT_LIMIT + 1024)).optional(),
});

/** A shipped name (`nodejs`, `heroku/nodejs`), a URL (https, git) or an absolute path. */
const BUILDPACK = /^(?:[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)?|(?:https?|git|ssh):\/\/[^\s'"`\\]+|\/[A-Za-z0-9._/-]+)$/;

export const putBuildpacks = z.object({
  updates: z
    .array(z.object({ buildpack: z.string().max(500).regex(BUILDPACK, 'must be a buildpack name (nodejs), a URL (https://…) or an absolute path') }))
    .max(20, 'at most 20 buildpacks'),
});

export const presentBuildRecord = (b: Build) => ({
  id: b.id,
  status: b.status,
  source_version: b.sourceVersion,
  image: b.image,
  image_digest: b.imageDigest ?? null,
  // BIGINT comes back as a string from MySQL.
  image_size: b.imageSize == null ? null : Number(b.imageSize),
  duration_ms: b.durationMs ?? null,
  process_types: b.processTypes ? (JSON.parse(b.processTypes) as Record<string, string>) : {},
  buildpacks: b.buildpacks ? (JSON.parse(b.buildpacks) as unknown[]) : [],
  created_at: b.createdAt,
  updated_at: b.updatedAt,
  finished_at: b.finishedAt ?? null,
  healthchecks: b.healthchecks ? (JSON.parse(b.healthchecks) as Record<string, unknown>) : null,
});

export const appBuildpacks = (app: App): string[] => (app.buildpacks ? (JSON.parse(app.buildpacks) as string[]) : []);

const presentInstallations = (list: string[]) =>
  list.map((url, i) => ({ ordinal: i, buildpack: { url, name: url.replace(/^(heroku|paas)\//, '') } }));

/** Keeps the end of a log over the bound: the failure is at the end. */
function bounded(output: string): string {
  if (Buffer.byteLength(output) <= BUILD_OUTPUT_LIMIT) return output;
  const tail = Buffer.from(output).subarray(-BUILD_OUTPUT_LIMIT).toString('utf8');
  return `[the log was longer than ${BUILD_OUTPUT_LIMIT} bytes; its beginning was dropped]\n${tail}`;
}


export function buildRoutes(router: Router<State>, _s: ControllerServices): void {
  router.get('/apps/:app/builds', async (ctx) => {
    const app = await appFor(ctx);
    const builds = await Build.findAll({ where: { appId: app.id }, attributes: { exclude: ['output'] }, order: [['createdAt', 'DESC'], ['id', 'DESC']], ...page(ctx) });
    ctx.body = builds.map(presentBuildRecord);
  });

  router.get('/apps/:app/builds/:id', async (ctx) => {
    const app = await appFor(ctx);
    const build = await Build.findOne({ where: { appId: app.id, id: ctx.params.id }, attributes: { exclude: ['output'] } });
    if (!build) throw new NotFoundError(`Couldn't find build ${ctx.params.id}. See \`paas builds\` for the app's builds.`);
    ctx.body = presentBuildRecord(build);
  });

  router.get('/apps/:app/builds/:id/output', async (ctx) => {
    const app = await appFor(ctx);
    const build = await Build.findOne({ where: { appId: app.id, id: ctx.params.id } });
    if (!build) throw new NotFoundError(`Couldn't find build ${ctx.params.id}. See \`paas builds\` for the app's builds.`);
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = build.output ?? (build.status === 'pending' ? '' : '(no log was recorded for this build)\n');
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
    ctx.body = presentBuildRecord(build);
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
      imageDigest: body.image_digest ?? null,
      imageSize: body.image_size ?? null,
      durationMs: body.duration_ms ?? Date.now() - build.createdAt.getTime(),
      output: body.output === undefined ? null : bounded(body.output),
      finishedAt: new Date(),
      processTypes: JSON.stringify(body.process_types ?? {}),
      buildpacks: JSON.stringify(body.buildpacks ?? []),
      healthchecks: body.healthchecks && Object.keys(body.healthchecks).length ? JSON.stringify(body.healthchecks) : null,
    });
    ctx.body = presentBuildRecord(build);
  });

  // T11: a builder that starts again marks the builds its previous life left pending as
  // failed, so no build stays "pending" forever. One builder per installation for now.
  router.post('/builds/interrupted', async (ctx) => {
    requireAdmin(ctx);
    const body = parseBody(interruptBuilds, ctx.request.body);
    const pending = await Build.findAll({ where: { status: { [Op.eq]: 'pending' } } });
    for (const build of pending) {
      await build.update({
        status: 'failed',
        output: bounded(`${body.outputs?.[build.id] ?? build.output ?? ''}${body.message.endsWith('\n') ? body.message : body.message + '\n'}`),
        durationMs: Date.now() - build.createdAt.getTime(),
        finishedAt: new Date(),
      });
    }
    ctx.body = pending.map(presentBuildRecord);
  });

  router.get('/apps/:app/buildpack-installations', async (ctx) => {
    const app = await appFor(ctx);
    ctx.body = presentInstallations(appBuildpacks(app));
  });

  router.put('/apps/:app/buildpack-installations', async (ctx) => {
    const app = await appFor(ctx);
    const body = parseBody(putBuildpacks, ctx.request.body);
    const list = body.updates.map((u) => u.buildpack);
    await app.update({ buildpacks: list.length ? JSON.stringify(list) : null });
    ctx.body = presentInstallations(list);
  });
}
