/**
 * The API's own lines in an app's log stream, as Heroku writes them (`heroku[api]:`
 * there, `paas[api]:` here): `Set FOO config vars by ann@example.com`, `Release v5
 * created by ann@example.com`, `Scale to web=2 by ann@example.com`. They go through the
 * outbox, in the transaction of the change they describe, so a line is never published
 * for a change that did not commit.
 */
import type { Transaction } from 'sequelize';
import { subjects, type AppLogLine } from '../shared';
import type { Outbox } from './events';
import { User } from './models';

/** Who did it, as the lines name them: the user's email, or the platform itself. */
export async function actorOf(userId: number | null, t?: Transaction): Promise<string> {
  if (userId === null) return 'paas';
  const user = await User.findByPk(userId, { transaction: t });
  return user?.email ?? 'paas';
}

export async function recordApiLines(outbox: Outbox, t: Transaction, app: string, lines: string[]): Promise<void> {
  const time = new Date().toISOString();
  for (const line of lines) {
    const value: AppLogLine = { app, jobId: 'api', processType: 'api', hostId: 'controller', stream: 'stdout', source: 'paas', dyno: 'api', time, line };
    await outbox.record(t, { subject: { name: subjects.appLog.name(app), schema: subjects.appLog.schema }, value });
  }
}
