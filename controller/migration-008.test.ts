/** Migration 008 (join tokens, hosts' subnets) on SQLite and MariaDB: one subnet per host, no subnet twice, and down undoes it. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { QueryTypes, Sequelize } from 'sequelize';
import { createTestDatabase } from '../test/helpers/mariadb';
import { migrate } from './migrate';
import * as m008 from './migrations/008-host-joins';

for (const dialect of ['sqlite', 'mariadb'] as const) {
  describe(`migration 008 on ${dialect}`, () => {
    test('host_subnets refuses a second host on a subnet and a second subnet for a host; down drops both tables', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-m008-'));
      const db = dialect === 'mariadb' ? await createTestDatabase() : undefined;
      const sequelize = db ? new Sequelize(db.url, { dialect: 'mysql', logging: false }) : new Sequelize({ dialect: 'sqlite', storage: path.join(dir, 'db.sqlite'), logging: false });
      try {
        const done = await migrate(sequelize);
        assert.equal(done.at(-1), '008-host-joins');
        const q = sequelize.getQueryInterface();
        const now = new Date();
        await q.bulkInsert('host_subnets', [{ hostId: 'h1', subnet: '10.200.1.0/24', createdAt: now, updatedAt: now }]);
        await assert.rejects(q.bulkInsert('host_subnets', [{ hostId: 'h2', subnet: '10.200.1.0/24', createdAt: now, updatedAt: now }]), { name: 'SequelizeUniqueConstraintError' });
        await assert.rejects(q.bulkInsert('host_subnets', [{ hostId: 'h1', subnet: '10.200.2.0/24', createdAt: now, updatedAt: now }]), { name: 'SequelizeUniqueConstraintError' });
        await q.bulkInsert('join_tokens', [{ id: '1a2b3c4d', secretHash: 'f'.repeat(64), expiresAt: now, createdAt: now, updatedAt: now }]);
        const [row] = await sequelize.query<{ uses: number; revokedAt: Date | null }>('SELECT uses, revokedAt FROM join_tokens', { type: QueryTypes.SELECT });
        assert.equal(Number(row?.uses), 0);
        assert.equal(row?.revokedAt, null);
        await m008.down({ context: q });
        const tables = (await q.showAllTables()).map(String);
        assert.ok(!tables.includes('join_tokens') && !tables.includes('host_subnets'));
      } finally {
        await sequelize.close();
        await db?.drop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
