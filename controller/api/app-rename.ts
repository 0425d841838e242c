/**
 * PATCH /apps/:app {name}: `paas apps:rename`, as Heroku's Platform API does it. Only
 * the owner (or an operator) may rename; the new name follows apps:create's rules.
 *
 * Everything in the database is keyed by the app's id, so config, releases, builds,
 * formation, domains, collaborators, drains and certificates simply follow. What is
 * keyed by the name moves here:
 * - routes: the routers drop OLD.<domain> and load NEW.<domain> (`app.renamed`);
 * - stored log lines move to the new name, metrics of the old name are dropped (the
 *   samples of the next 10 s arrive under the new one);
 * - running processes carry the name in their labels, their job id (the container's host
 *   name) and their log and metrics subjects: they are restarted under the new name, web ones rolling (replacement up,
 *   then the old one leaves the routers), so the app keeps serving; until then the
 *   scheduler and the controller know them as the app's by their job id.
 */
import type Router from '@koa/router';
import { UniqueConstraintError } from 'sequelize';
import { errorMessage, subjects } from '../../shared';
import { recordApiLines } from '../api-log';
import { transaction } from '../db';
import { App, User } from '../models';
import { appForOwner, currentUser } from './access';
import { assertNameFree, createApp, nameTaken } from './apps';
import type { ControllerServices, State } from './context';
import { presentApp } from './presenters';
import { parseBody } from './validate';

export function appRenameRoutes(router: Router<State>, s: ControllerServices): void {
  router.patch('/apps/:app', async (ctx) => {
    const app = await appForOwner(ctx);
    const user = currentUser(ctx);
    const { name } = parseBody(createApp, ctx.request.body);
    const from = app.name;
    if (name !== from) {
      await assertNameFree(name);
      await transaction(s.sequelize, async (t) => {
        await App.update({ name }, { where: { id: app.id }, transaction: t });
        await s.outbox.record(t, { subject: subjects.appRenamed, value: { app: name, from } });
      }).catch((err: unknown) => {
        // Taken between the check and the update (the unique index decides): the same answer.
        throw err instanceof UniqueConstraintError ? nameTaken(name) : err;
      });
      app.name = name;
      await moveNameKeyedData(s, from, name);
      // After the move, so the history comes first in `paas logs` and the new processes' lines after it.
      await transaction(s.sequelize, async (t) => {
        await recordApiLines(s.outbox, t, name, [`Rename app from ${from} to ${name} by ${user.email}`]);
        await s.outbox.record(t, { subject: subjects.dynosRestart, value: { app: name } });
      });
    }
    const owner = await User.findByPk(app.ownerId);
    ctx.body = presentApp(app, s.urls, owner?.email);
  });
}

/** The stores in NATS that know apps by name; a failure is logged, never undoes the rename. */
async function moveNameKeyedData(s: ControllerServices, from: string, to: string): Promise<void> {
  await s.logs?.move(from, to).catch((err: unknown) => s.log.warn('could not move the log lines of a renamed app', { from, to, err: errorMessage(err) }));
  await s.metrics?.purge(from).catch((err: unknown) => s.log.warn('could not delete the metrics of a renamed app', { from, to, err: errorMessage(err) }));
  // Its drains read the new name from now on (the forwarder re-points their consumers).
  s.drains?.reload();
}
