/**
 * Opens the database: SQLite in the data directory by default, MySQL/MariaDB (mysql2)
 * when DATABASE_URL says so. Runs the pending migrations at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Sequelize, type Transaction } from 'sequelize';
import { UnavailableError } from '../shared';
import { migrate } from './migrate';
import { defineModels } from './models';

export async function openDatabase(databaseUrl: string | undefined, dataDir: string): Promise<Sequelize> {
  let sequelize: Sequelize;
  if (!databaseUrl || databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl ? databaseUrl.replace(/^sqlite:(\/\/)?/, '') : path.join(dataDir, 'paas.sqlite');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false, transactionType: 'IMMEDIATE' as never });
  } else {
    sequelize = new Sequelize(databaseUrl.replace(/^mariadb:/, 'mysql:'), {
      dialect: 'mysql',
      logging: false,
      pool: { max: 10, min: 0, acquire: 30_000, idle: 10_000 },
    });
  }
  try {
    await sequelize.authenticate();
  } catch (err) {
    throw new UnavailableError(
      `cannot open the database (${databaseUrl ? 'DATABASE_URL' : 'SQLite'}): ${(err as Error).message}. ` +
        'Check that the server is running and DATABASE_URL is right.',
      err,
    );
  }
  if (sequelize.getDialect() === 'sqlite') {
    // One writer at a time, readers do not block it; wait rather than fail on a busy file.
    await sequelize.query('PRAGMA journal_mode=WAL');
    await sequelize.query('PRAGMA busy_timeout=5000');
  }
  defineModels(sequelize);
  await migrate(sequelize);
  return sequelize;
}

const sqliteQueues = new WeakMap<Sequelize, Promise<unknown>>();

/**
 * A write transaction. SQLite has one writer at a time and its driver does not wait for
 * the lock across connections, so in embedded mode transactions are queued in-process;
 * MySQL/MariaDB run them concurrently under row locks.
 */
export function transaction<T>(sequelize: Sequelize, fn: (t: Transaction) => Promise<T>): Promise<T> {
  if (sequelize.getDialect() !== 'sqlite') return sequelize.transaction(fn);
  const previous = sqliteQueues.get(sequelize) ?? Promise.resolve();
  const result = previous.catch(() => undefined).then(() => sequelize.transaction(fn));
  sqliteQueues.set(sequelize, result);
  return result;
}
