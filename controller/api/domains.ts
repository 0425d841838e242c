/** /apps/:app/domains: custom host names the router serves for an app (exact or wildcard). */
import type Router from '@koa/router';
import { z } from 'zod';
import { ConflictError, InvalidInputError, NotFoundError, subjects } from '../../shared';
import { recordApiLines } from '../api-log';
import { transaction } from '../db';
import { Domain } from '../models';
import { appFor, currentUser } from './access';
import type { ControllerServices, State } from './context';
import { parseBody } from './validate';

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const addDomainBody = z.object({ hostname: z.string().max(253).transform((h) => h.toLowerCase().replace(/\.$/, '')) });

export function domainRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/domains', async (ctx) => {
    const app = await appFor(ctx);
    const custom = await Domain.findAll({ where: { appId: app.id }, order: [['hostname', 'ASC']] });
    ctx.body = [{ hostname: `${app.name}.${s.domain}`, kind: 'default' }, ...custom.map((d) => ({ hostname: d.hostname, kind: 'custom' }))];
  });

  router.post('/apps/:app/domains', async (ctx) => {
    const app = await appFor(ctx);
    const { hostname } = parseBody(addDomainBody, ctx.request.body);
    if (!HOSTNAME.test(hostname)) throw new InvalidInputError(`${hostname} is not a valid host name. Use a name like www.example.com or *.example.com.`, 'invalid_hostname');
    if (hostname === s.domain || hostname.endsWith(`.${s.domain}`)) {
      throw new InvalidInputError(`Names under ${s.domain} belong to paas apps; add a domain you own instead.`, 'reserved_hostname');
    }
    if (await Domain.findOne({ where: { hostname } })) throw new ConflictError(`${hostname} is already in use by an app.`, 'domain_taken');
    await transaction(s.sequelize, async (t) => {
      await Domain.create({ appId: app.id, hostname }, { transaction: t });
      await s.outbox.record(t, { subject: subjects.routesChanged, value: { app: app.name } });
      await recordApiLines(s.outbox, t, app.name, [`Add ${hostname} domain by ${currentUser(ctx).email}`]);
    });
    ctx.status = 201;
    ctx.body = { hostname, kind: 'custom' };
  });

  router.delete('/apps/:app/domains/:hostname', async (ctx) => {
    const app = await appFor(ctx);
    const hostname = ctx.params.hostname.toLowerCase();
    const removed = await transaction(s.sequelize, async (t) => {
      const n = await Domain.destroy({ where: { appId: app.id, hostname }, transaction: t });
      if (n) {
        await s.outbox.record(t, { subject: subjects.routesChanged, value: { app: app.name } });
        await recordApiLines(s.outbox, t, app.name, [`Remove ${hostname} domain by ${currentUser(ctx).email}`]);
      }
      return n;
    });
    if (!removed) throw new NotFoundError(`${hostname} is not a domain of ${app.name}. See \`paas domains\`.`);
    ctx.status = 204;
  });
}
