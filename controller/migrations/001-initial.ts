/** The walking skeleton's schema: users, tokens, apps, builds, releases, formations, jobs. */
import { DataTypes, type QueryInterface } from 'sequelize';

const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false };
const timestamps = { createdAt: { type: DataTypes.DATE, allowNull: false }, updatedAt: { type: DataTypes.DATE, allowNull: false } };

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.createTable('users', {
    id,
    email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
    passwordHash: { type: DataTypes.STRING(255), allowNull: false },
    isAdmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    ...timestamps,
  });
  await q.createTable('tokens', {
    id,
    userId: { type: DataTypes.INTEGER, allowNull: false },
    tokenHash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    description: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '' },
    ...timestamps,
  });
  await q.createTable('apps', {
    id,
    name: { type: DataTypes.STRING(30), allowNull: false, unique: true },
    ownerId: { type: DataTypes.INTEGER, allowNull: false },
    config: { type: DataTypes.TEXT, allowNull: false },
    releaseVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    ...timestamps,
  });
  await q.createTable('builds', {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    sourceVersion: { type: DataTypes.STRING(64), allowNull: false },
    userId: { type: DataTypes.INTEGER, allowNull: true },
    image: { type: DataTypes.STRING(255), allowNull: true },
    processTypes: { type: DataTypes.TEXT, allowNull: true },
    buildpacks: { type: DataTypes.TEXT, allowNull: true },
    ...timestamps,
  });
  await q.createTable('releases', {
    id,
    appId: { type: DataTypes.INTEGER, allowNull: false },
    version: { type: DataTypes.INTEGER, allowNull: false },
    buildId: { type: DataTypes.STRING(36), allowNull: true },
    config: { type: DataTypes.TEXT, allowNull: false },
    description: { type: DataTypes.STRING(255), allowNull: false },
    userId: { type: DataTypes.INTEGER, allowNull: true },
    ...timestamps,
  });
  // Two writers can never share a version: the last word on release numbering.
  await q.addIndex('releases', ['appId', 'version'], { unique: true, name: 'releases_app_version' });
  await q.createTable('formations', {
    id,
    appId: { type: DataTypes.INTEGER, allowNull: false },
    type: { type: DataTypes.STRING(64), allowNull: false },
    quantity: { type: DataTypes.INTEGER, allowNull: false },
    size: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'standard' },
    ...timestamps,
  });
  await q.addIndex('formations', ['appId', 'type'], { unique: true, name: 'formations_app_type' });
  await q.createTable('jobs', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    release: { type: DataTypes.INTEGER, allowNull: false },
    type: { type: DataTypes.STRING(64), allowNull: false },
    hostId: { type: DataTypes.STRING(64), allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false },
    ip: { type: DataTypes.STRING(64), allowNull: true },
    port: { type: DataTypes.INTEGER, allowNull: true },
    ...timestamps,
  });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  for (const t of ['jobs', 'formations', 'releases', 'builds', 'apps', 'tokens', 'users']) await q.dropTable(t);
}
