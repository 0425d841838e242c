/** /hosts: the hosts of the cluster, for operators. */
import type Router from '@koa/router';
import { NotFoundError } from '../../shared';
import { requireAdmin } from './access';
import type { ControllerServices, State } from './context';

export function hostRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/hosts', (ctx) => {
    requireAdmin(ctx);
    ctx.body = s.hosts.list();
  });

  router.get('/hosts/:id', (ctx) => {
    requireAdmin(ctx);
    const host = s.hosts.list().find((h) => h.id === ctx.params.id);
    if (!host) throw new NotFoundError(`No host ${ctx.params.id} has reported in. See \`paas hosts\`.`);
    ctx.body = host;
  });
}
