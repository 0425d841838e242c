/**
 * Two controllers on one MariaDB database (the machine's, a throw-away database per
 * test): started at once, they migrate the schema once between them and create one
 * admin, and a lock held too long is an error that says what to do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { QueryTypes, Sequelize } from 'sequelize';
import { createTestDatabase, type TestDatabase } from '../test/helpers/mariadb';
import { startControllerProcess, type ControllerProcess } from '../test/helpers/controller-process';
import { freePort } from '../test/helpers/ports';
import { withDatabaseLock } from './db-lock';
import { migrate } from './migrate';

const open = (db: TestDatabase): Sequelize => new Sequelize(db.url, { dialect: 'mysql', logging: false });

describe('controllers sharing a MariaDB database', () => {
  const dbs: TestDatabase[] = [];
  const dirs: string[] = [];
  const procs: ControllerProcess[] = [];
  const fresh = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase('paas_roles');
    dbs.push(db);
    return db;
  };
  after(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    for (const db of dbs) await db.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('two migrators started together both succeed, and each migration runs once', async () => {
    const db = await fresh();
    const a = open(db);
    const b = open(db);
    try {
      const [ranA, ranB] = await Promise.all([migrate(a), migrate(b)]);
      // One did all the work under the lock; the other found it done.
      const ran = [ranA, ranB].sort((x, y) => y.length - x.length);
      assert.ok(ran[0].length >= 7, `the first migrator ran every migration: ${ran[0].join(', ')}`);
      assert.deepEqual(ran[1], []);
      const rows = await a.query<{ name: string }>('SELECT name FROM schema_migrations', { type: QueryTypes.SELECT });
      assert.deepEqual(rows.map((r) => r.name).sort(), [...ran[0]].sort());
      assert.deepEqual(await migrate(b), [], 'a later start has nothing to do');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('two controller processes starting at once on a new database: both serve, one admin is created', async () => {
    const db = await fresh();
    const start = async (): Promise<ControllerProcess> => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-roles-ctl-'));
      dirs.push(dir);
      return startControllerProcess({ PAAS_DATA_DIR: dir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', DATABASE_URL: db.url, NATS_URL: '' });
    };
    const [one, two] = await Promise.all([start(), start()]);
    procs.push(one, two);
    const passwords = [one.info.adminPassword, two.info.adminPassword].filter((p) => p !== null);
    assert.equal(passwords.length, 1, 'exactly one of them created the admin and printed its password');
    for (const p of [one, two]) assert.equal((await fetch(`${p.info.url}/health`)).status, 200);
    const conn = await mysql.createConnection(db.url);
    try {
      const [rows] = await conn.query('SELECT email FROM users ORDER BY email');
      assert.deepEqual((rows as { email: string }[]).map((r) => r.email), ['admin@paas.local', 'system@paas.internal']);
    } finally {
      await conn.end();
    }
  });

  test('a lock another controller holds too long is an error naming it, and nothing runs', async () => {
    const db = await fresh();
    const holder = await mysql.createConnection(db.url);
    const s = open(db);
    try {
      await holder.query("SELECT GET_LOCK('paas_migrate', 0)");
      let ran = false;
      await assert.rejects(
        withDatabaseLock(s, 'paas_migrate', async () => void (ran = true), 1),
        /another controller has held the database lock paas_migrate for 1 s/,
      );
      assert.equal(ran, false);
      await holder.query("SELECT RELEASE_LOCK('paas_migrate')");
      assert.equal(await withDatabaseLock(s, 'paas_migrate', async () => 'done', 1), 'done');
    } finally {
      await holder.end();
      await s.close();
    }
  });
});
