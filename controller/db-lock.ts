/**
 * A named lock across every controller that shares one MySQL/MariaDB database
 * (GET_LOCK), held while one of them changes the schema or creates the first accounts,
 * so that two controllers starting at once do not run the same migration twice. On
 * SQLite only one process owns the file, so there is nothing to hold.
 *
 * GET_LOCK belongs to a connection: a transaction keeps one connection of the pool for
 * the lock while the work itself runs on others. A controller that dies holding it
 * loses the connection, and the server frees the lock.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { UnavailableError } from '../shared';

export async function withDatabaseLock<T>(sequelize: Sequelize, name: string, fn: () => Promise<T>, waitSeconds = 60): Promise<T> {
  if (sequelize.getDialect() !== 'mysql') return fn();
  return sequelize.transaction(async (transaction) => {
    const [row] = await sequelize.query<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', { replacements: [name, waitSeconds], type: QueryTypes.SELECT, transaction });
    if (Number(row?.got) !== 1) {
      throw new UnavailableError(`another controller has held the database lock ${name} for ${waitSeconds} s (a migration still running?). Wait for it and start again, or see docs/operations.md, Upgrade.`);
    }
    try {
      return await fn();
    } finally {
      await sequelize.query('SELECT RELEASE_LOCK(?)', { replacements: [name], type: QueryTypes.SELECT, transaction });
    }
  });
}
