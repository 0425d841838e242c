/**
 * Versioned migrations (umzug), run at every start before the API opens: the database
 * records which have run, so an upgrade applies only the new ones. Migrations are
 * listed here in order rather than globbed, so a build can never skip or reorder one.
 * Controllers sharing a MySQL database migrate one at a time (db-lock.ts): the second
 * finds the work done.
 */
import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { withDatabaseLock } from './db-lock';
import * as m001 from './migrations/001-initial';
import * as m002 from './migrations/002-outbox-access-domains';
import * as m003 from './migrations/003-build-records';
import * as m004 from './migrations/004-deploys-hosts-one-offs';
import * as m005 from './migrations/005-certs';
import * as m006 from './migrations/006-log-drains';
import * as m007 from './migrations/007-one-off-attach';
import * as m008 from './migrations/008-host-joins';

const MIGRATIONS = [
  { name: '001-initial', ...m001 },
  { name: '002-outbox-access-domains', ...m002 },
  { name: '003-build-records', ...m003 },
  { name: '004-deploys-hosts-one-offs', ...m004 },
  { name: '005-certs', ...m005 },
  { name: '006-log-drains', ...m006 },
  { name: '007-one-off-attach', ...m007 },
  { name: '008-host-joins', ...m008 },
];

export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const umzug = new Umzug({
    migrations: MIGRATIONS,
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
  const done = await withDatabaseLock(sequelize, 'paas_migrate', () => umzug.up());
  return done.map((m) => m.name);
}
