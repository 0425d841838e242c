/**
 * A fresh database on the MariaDB server the machine runs (127.0.0.1:3306, root, no
 * password), dropped at the end. Tests of the production mode use it for real.
 */
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';

export const MARIADB_URL = process.env.PAAS_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A database named <prefix>_<random>, so a leftover says which test made it. */
export async function createTestDatabase(prefix = 'paas_test'): Promise<TestDatabase> {
  const name = `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(MARIADB_URL);
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.end();
  return {
    url: `${MARIADB_URL}/${name}`,
    async drop() {
      const c = await mysql.createConnection(MARIADB_URL);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
