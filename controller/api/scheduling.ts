/**
 * The scheduler's and router's view (operators only): the desired state of every app,
 * the jobs the scheduler reports, and the route table built from live web jobs.
 */
import { transaction } from '../db';
import type Router from '@koa/router';
import { z } from 'zod';
import { jobState, subjects } from '../../shared';
import { App, Build, Domain, Formation, HostSetting, Job, OneOffRequestRow, Release, type ReleaseStatus } from '../models';
import { parseConfig } from '../releases';
import { requireAdmin } from './access';
import { previousSucceeded } from './deploys';
import type { ControllerServices, State } from './context';
import { parseBody } from './validate';
import { DOCKERFILE_BUILDER } from '../client';

export const reportJob = z.object({
  app: z.string(),
  release: z.number().int(),
  type: z.string(),
  host: z.string(),
  state: jobState,
  ip: z.string().nullable().optional(),
  port: z.number().int().nullable().optional(),
  dyno: z.string().max(64).nullable().optional(),
  oneOff: z.boolean().optional(),
  reason: z.string().max(1000).nullable().optional(),
  memoryBytes: z.number().int().nonnegative().nullable().optional(),
});

export interface DesiredApp {
  app: string;
  release: {
    version: number;
    image: string;
    process_types: Record<string, string>;
    config: Record<string, string>;
    /** How processes start: a buildpack slug through the /app launcher, or the image's own command. */
    launcher: 'buildpack' | 'image';
    /** Deploy outcome of this release: pending until the scheduler finishes its deploy. */
    status?: ReleaseStatus;
    /** app.json health checks per process type (Dokku's format, startup checks only). */
    healthchecks?: Record<string, HealthCheck>;
  } | null;
  // The controller always sends status, previousVersion and oneOffs; they are optional in
  // the type only so that hand-written fakes of the older shape keep compiling.
  /** The last succeeded release before the current one: where a failed deploy returns to. */
  previousVersion?: number | null;
  formation: { type: string; quantity: number; size: string }[];
  /** One-off processes requested (`paas run --detach`) and not placed yet. */
  oneOffs?: OneOffRequest[];
}

export type { DeployStatus, ReleaseStatus } from '../models';

export interface HealthCheck {
  path: string;
  timeoutMs?: number;
  attempts?: number;
}

export interface OneOffRequest {
  /** Job id to start it under (unique, a valid container id). */
  id: string;
  /** run.NNNN, as Heroku names one-off dynos. */
  dyno: string;
  command: string;
  size: string;
  /** Extra env on top of the release's config (`paas run --env`). */
  env: Record<string, string>;
  /** Runs once the user's terminal is attached (see engine/agent-attach.ts). */
  attach?: boolean;
}

/** A host as the scheduler needs it from the controller: what operators decided about it. */
export interface SchedulerHost {
  id: string;
  draining: boolean;
  removed: boolean;
}

export interface Route {
  app: string;
  domains: string[];
  backends: { id: string; ip: string; port: number; dyno?: string }[];
}

async function desiredState(app: App): Promise<DesiredApp> {
  const release = app.releaseVersion ? await Release.findOne({ where: { appId: app.id, version: app.releaseVersion } }) : null;
  const build = release?.buildId ? await Build.findByPk(release.buildId) : null;
  const formation = await Formation.findAll({ where: { appId: app.id } });
  const oneOffs = await OneOffRequestRow.findAll({ where: { appId: app.id, placed: false }, order: [['createdAt', 'ASC']] });
  return {
    app: app.name,
    release:
      release && build?.image
        ? {
            version: release.version,
            image: build.image,
            process_types: JSON.parse(build.processTypes ?? '{}') as Record<string, string>,
            config: parseConfig(release.config),
            launcher: (JSON.parse(build.buildpacks ?? '[]') as { name: string }[]).some((b) => b.name === DOCKERFILE_BUILDER) ? 'image' : 'buildpack',
            status: release.status,
            ...(build.healthchecks ? { healthchecks: JSON.parse(build.healthchecks) as Record<string, HealthCheck> } : {}),
          }
        : null,
    previousVersion: release ? await previousSucceeded(app.id, release.version) : null,
    formation: formation.map((f) => ({ type: f.type, quantity: f.quantity, size: f.size })),
    oneOffs: oneOffs.map((o) => ({ id: o.id, dyno: o.dyno, command: o.command, size: o.size, env: JSON.parse(o.env) as Record<string, string>, ...(o.attach ? { attach: true } : {}) })),
  };
}

async function routeFor(app: App, domain: string): Promise<Route> {
  const jobs = await Job.findAll({ where: { appId: app.id, type: 'web', state: 'up' } });
  const custom = await Domain.findAll({ where: { appId: app.id }, order: [['hostname', 'ASC']] });
  return {
    app: app.name,
    domains: [`${app.name}.${domain}`, ...custom.map((d) => d.hostname)],
    backends: jobs.filter((j) => j.ip && j.port).map((j) => ({ id: j.id, ip: j.ip as string, port: j.port as number, dyno: j.dyno ?? undefined })),
  };
}

export function schedulingRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/scheduler/apps', async (ctx) => {
    requireAdmin(ctx);
    const apps = await App.findAll({ order: [['name', 'ASC']] });
    ctx.body = await Promise.all(apps.map(desiredState));
  });

  router.get('/scheduler/jobs', async (ctx) => {
    requireAdmin(ctx);
    const jobs = await Job.findAll();
    const apps = new Map((await App.findAll()).map((a) => [a.id, a.name]));
    ctx.body = jobs.map((j) => ({
      id: j.id,
      app: apps.get(j.appId),
      release: j.release,
      type: j.type,
      host: j.hostId,
      state: j.state,
      ip: j.ip,
      port: j.port,
      dyno: j.dyno,
      one_off: j.oneOff,
      reason: j.reason,
      memory_bytes: j.memoryBytes === null ? null : Number(j.memoryBytes),
    }));
  });

  router.get('/scheduler/hosts', async (ctx) => {
    requireAdmin(ctx);
    const settings = await HostSetting.findAll({ order: [['hostId', 'ASC']] });
    const known = new Map<string, SchedulerHost>(s.hosts.list().map((h) => [h.id, { id: h.id, draining: false, removed: false }]));
    for (const h of settings) known.set(h.hostId, { id: h.hostId, draining: h.draining, removed: h.removed });
    ctx.body = [...known.values()].sort((a, b) => a.id.localeCompare(b.id));
  });

  router.put('/jobs/:id', async (ctx) => {
    requireAdmin(ctx);
    const body = parseBody(reportJob, ctx.request.body);
    // A known job stays its app's by id: one started before `paas apps:rename` still
    // carries the old name in its labels, and is reported with it until it is replaced.
    const known = await Job.findByPk(ctx.params.id);
    const app = known ? await App.findByPk(known.appId) : await App.findOne({ where: { name: body.app } });
    if (!app) {
      ctx.status = 404;
      ctx.body = { id: 'not_found', message: `No app ${body.app}; stop the job.` };
      return;
    }
    await transaction(s.sequelize, async (t) => {
      const values = {
        appId: app.id,
        release: body.release,
        type: body.type,
        hostId: body.host,
        state: body.state,
        ip: body.ip ?? null,
        port: body.port ?? null,
        // Absent fields keep what an earlier report said; the scheduler may not repeat them.
        ...(body.dyno !== undefined ? { dyno: body.dyno } : {}),
        ...(body.oneOff !== undefined ? { oneOff: body.oneOff } : {}),
        ...(body.reason !== undefined ? { reason: body.reason } : body.state === 'up' || body.state === 'starting' ? { reason: null } : {}),
        ...(body.memoryBytes !== undefined ? { memoryBytes: body.memoryBytes } : {}),
      };
      const existing = await Job.findByPk(ctx.params.id, { transaction: t });
      if (existing) await existing.update(values, { transaction: t });
      else await Job.create({ id: ctx.params.id, ...values }, { transaction: t });
      // A reported one-off is no longer waiting for a host.
      await OneOffRequestRow.update({ placed: true }, { where: { id: ctx.params.id, placed: false }, transaction: t });
      if (body.type === 'web') await s.outbox.record(t, { subject: subjects.routesChanged, value: { app: app.name } });
    });
    ctx.status = 204;
  });

  router.delete('/jobs/:id', async (ctx) => {
    requireAdmin(ctx);
    const job = await Job.findByPk(ctx.params.id);
    const oneOff = await OneOffRequestRow.findByPk(ctx.params.id);
    if (job || oneOff) {
      const app = job ? await App.findByPk(job.appId) : null;
      await transaction(s.sequelize, async (t) => {
        await job?.destroy({ transaction: t });
        // A one-off that ended (or could not start) leaves no trace in `paas ps`.
        await oneOff?.destroy({ transaction: t });
        if (app && job?.type === 'web') await s.outbox.record(t, { subject: subjects.routesChanged, value: { app: app.name } });
      });
    }
    ctx.status = 204;
  });

  router.get('/routes', async (ctx) => {
    requireAdmin(ctx);
    const apps = await App.findAll();
    ctx.body = await Promise.all(apps.map((a) => routeFor(a, s.domain)));
  });

  router.get('/routes/:app', async (ctx) => {
    requireAdmin(ctx);
    const app = await App.findOne({ where: { name: ctx.params.app } });
    ctx.body = app ? await routeFor(app, s.domain) : { app: ctx.params.app, domains: [], backends: [] };
  });
}
