/**
 * Publishes controller events on NATS once the change they describe is committed.
 * (An outbox written in the same transaction, so a crash between commit and publish
 * loses nothing, is issue #4; consumers already reconcile, so a lost event only
 * delays convergence until their next periodic pass.)
 */
import type { NatsConnection } from 'nats';
import type { Transaction } from 'sequelize';
import { publish, subjects } from '../shared';

type Event =
  | { subject: typeof subjects.releaseCreated; value: { app: string; version: number } }
  | { subject: typeof subjects.formationUpdated | typeof subjects.routesChanged | typeof subjects.appDeleted; value: { app: string } };

export function emitAfterCommit(nc: NatsConnection | undefined, t: Transaction | null, event: Event): void {
  if (!nc) return;
  const send = (): void => publish(nc, event.subject.name, event.subject.schema, event.value as never);
  if (t) t.afterCommit(send);
  else send();
}
