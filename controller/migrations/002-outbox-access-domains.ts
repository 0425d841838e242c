/**
 * The event outbox (events written in the same transaction as the change they describe,
 * relayed to NATS afterwards), idempotency keys, collaborators and custom domains.
 */
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };
const timestamps = { createdAt: { type: DataTypes.DATE, allowNull: false }, updatedAt: { type: DataTypes.DATE, allowNull: false } };

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.createTable('events', {
    id,
    subject: { type: DataTypes.STRING(255), allowNull: false },
    payload: { type: DataTypes.TEXT, allowNull: false },
    publishedAt: { type: DataTypes.DATE, allowNull: true },
    ...timestamps,
  });
  await q.addIndex('events', ['publishedAt', 'id'], { name: 'events_unpublished' });
  await q.createTable('idempotency_keys', {
    id,
    userId: { type: DataTypes.INTEGER, allowNull: false },
    key: { type: DataTypes.STRING(255), allowNull: false },
    /** method and path: the same key on another request is a conflict, not a replay. */
    request: { type: DataTypes.STRING(512), allowNull: false },
    status: { type: DataTypes.INTEGER, allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    ...timestamps,
  });
  await q.addIndex('idempotency_keys', ['userId', 'key'], { unique: true, name: 'idempotency_user_key' });
  await q.createTable('collaborators', {
    id,
    appId: { type: DataTypes.INTEGER, allowNull: false },
    userId: { type: DataTypes.INTEGER, allowNull: false },
    ...timestamps,
  });
  await q.addIndex('collaborators', ['appId', 'userId'], { unique: true, name: 'collaborators_app_user' });
  await q.createTable('domains', {
    id,
    appId: { type: DataTypes.INTEGER, allowNull: false },
    hostname: { type: DataTypes.STRING(253), allowNull: false, unique: true },
    ...timestamps,
  });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  for (const t of ['domains', 'collaborators', 'idempotency_keys', 'events']) await q.dropTable(t);
}
