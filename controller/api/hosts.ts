/**
 * /hosts: the hosts of the cluster, for operators. Heartbeats say what a host is;
 * host_settings say what operators decided (draining, removed). A drained host gets
 * nothing new and the scheduler moves its jobs; a removed one is forgotten until it
 * is undrained again.
 */
import type Router from '@koa/router';
import { ConflictError, NotFoundError, subjects } from '../../shared';
import { transaction } from '../db';
import type { HostView } from '../hosts';
import { HostSetting, Job } from '../models';
import { requireAdmin } from './access';
import type { ControllerServices, Ctx, State } from './context';

export interface HostInfoView extends Omit<HostView, 'address' | 'runtime' | 'memory_bytes' | 'cpus' | 'last_seen'> {
  address: string | null;
  runtime: string | null;
  memory_bytes: number | null;
  cpus: number | null;
  last_seen: string | null;
  draining: boolean;
}

async function hostList(s: ControllerServices): Promise<HostInfoView[]> {
  const settings = new Map((await HostSetting.findAll()).map((h) => [h.hostId, h]));
  const seen = new Map(s.hosts.list().map((h) => [h.id, h]));
  const ids = [...new Set([...seen.keys(), ...settings.keys()])].filter((id) => !settings.get(id)?.removed).sort();
  return ids.map((id) => {
    const h = seen.get(id);
    const draining = settings.get(id)?.draining ?? false;
    // A host that never sent a heartbeat to this controller is known only by its setting.
    return h ? { ...h, draining } : { id, address: null, subnet: null, runtime: null, memory_bytes: null, cpus: null, jobs: 0, last_seen: null, alive: false, restarting: false, draining };
  });
}

async function knownHost(ctx: Ctx, s: ControllerServices): Promise<HostInfoView> {
  const host = (await hostList(s)).find((h) => h.id === ctx.params.id);
  if (!host) throw new NotFoundError(`No host ${ctx.params.id} has reported in. See \`paas hosts\` for the hosts.`, 'host_not_found');
  return host;
}

async function setHost(s: ControllerServices, hostId: string, values: { draining: boolean; removed: boolean }): Promise<void> {
  await transaction(s.sequelize, async (t) => {
    const [row] = await HostSetting.findOrCreate({ where: { hostId }, defaults: { hostId, ...values }, transaction: t });
    await row.update(values, { transaction: t });
    await s.outbox.record(t, { subject: subjects.hostsChanged, value: { hostId, removed: values.removed } });
  });
}

export function hostRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/hosts', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = await hostList(s);
  });

  router.get('/hosts/:id', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = await knownHost(ctx, s);
  });

  router.post('/hosts/:id/actions/drain', async (ctx) => {
    requireAdmin(ctx);
    const host = await knownHost(ctx, s);
    await setHost(s, host.id, { draining: true, removed: false });
    ctx.body = { ...host, draining: true };
  });

  router.post('/hosts/:id/actions/undrain', async (ctx) => {
    requireAdmin(ctx);
    // A removed host may come back into service: undrain is how an operator re-admits it.
    const removed = await HostSetting.findOne({ where: { hostId: ctx.params.id, removed: true } });
    const host = removed ? undefined : await knownHost(ctx, s);
    await setHost(s, ctx.params.id, { draining: false, removed: false });
    ctx.body = host ? { ...host, draining: false } : (await hostList(s)).find((h) => h.id === ctx.params.id);
  });

  router.delete('/hosts/:id', async (ctx) => {
    requireAdmin(ctx);
    const host = await knownHost(ctx, s);
    const recorded = await Job.count({ where: { hostId: host.id } });
    const jobs = Math.max(host.jobs, recorded);
    if (jobs > 0 && !host.draining) {
      throw new ConflictError(
        `Host ${host.id} still runs ${jobs} job${jobs === 1 ? '' : 's'}. Drain it first (\`paas hosts:drain ${host.id}\`) so its jobs move to other hosts, then remove it.`,
        'host_has_jobs',
      );
    }
    await setHost(s, host.id, { draining: true, removed: true });
    ctx.status = 204;
  });
}
