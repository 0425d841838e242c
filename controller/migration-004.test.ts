/**
 * Migration 004 on a database that already has data (SQLite and MariaDB): old releases
 * count as deployed, old size names become Heroku's, and the formation's (app, type)
 * uniqueness survives.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Sequelize, QueryTypes } from 'sequelize';
import { createTestDatabase } from '../test/helpers/mariadb';
import * as m001 from './migrations/001-initial';
import * as m002 from './migrations/002-outbox-access-domains';
import * as m003 from './migrations/003-build-records';
import * as m004 from './migrations/004-deploys-hosts-one-offs';

for (const dialect of ['sqlite', 'mariadb'] as const) {
  describe(`migration 004 over existing data on ${dialect}`, () => {
    test('old releases are succeeded, old sizes renamed, formations still unique per type', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-m004-'));
      const db = dialect === 'mariadb' ? await createTestDatabase() : undefined;
      const sequelize = db ? new Sequelize(db.url, { dialect: 'mysql', logging: false }) : new Sequelize({ dialect: 'sqlite', storage: path.join(dir, 'db.sqlite'), logging: false });
      try {
        const q = sequelize.getQueryInterface();
        for (const m of [m001, m002, m003]) await m.up({ context: q });
        const now = new Date();
        await q.bulkInsert('releases', [{ appId: 1, version: 1, buildId: null, config: '{}', description: 'old', userId: null, createdAt: now, updatedAt: now }]);
        await q.bulkInsert('formations', [
          { appId: 1, type: 'web', quantity: 1, size: 'standard', createdAt: now, updatedAt: now },
          { appId: 1, type: 'worker', quantity: 0, size: 'performance', createdAt: now, updatedAt: now },
        ]);
        await m004.up({ context: q });
        const releases = await sequelize.query<{ status: string }>('SELECT status FROM releases', { type: QueryTypes.SELECT });
        assert.deepEqual(releases.map((r) => r.status), ['succeeded']);
        const sizes = await sequelize.query<{ type: string; size: string }>('SELECT type, size FROM formations ORDER BY type', { type: QueryTypes.SELECT });
        assert.deepEqual(sizes.map((r) => [r.type, r.size]), [['web', 'standard-1x'], ['worker', 'performance-m']]);
        await assert.rejects(q.bulkInsert('formations', [{ appId: 1, type: 'web', quantity: 2, size: 'eco', createdAt: now, updatedAt: now }]), { name: 'SequelizeUniqueConstraintError' });
        await m004.down({ context: q });
        assert.deepEqual((await sequelize.query<{ size: string }>('SELECT size FROM formations ORDER BY type', { type: QueryTypes.SELECT })).map((r) => r.size), ['standard', 'performance']);
      } finally {
        await sequelize.close();
        await db?.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
