/**
 * Issue #6: deploy records and release outcomes, dyno names and reasons on jobs, sizes
 * under Heroku's names, operators' host decisions (drain, remove), requested one-off
 * processes, and app.json health checks on builds.
 */
import { DataTypes, type QueryInterface } from 'sequelize';

const timestamps = { createdAt: { type: DataTypes.DATE, allowNull: false }, updatedAt: { type: DataTypes.DATE, allowNull: false } };

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  // Releases made before deploys were tracked did deploy: they count as succeeded.
  await q.addColumn('releases', 'status', { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'succeeded' });
  await q.addColumn('releases', 'statusReason', { type: DataTypes.TEXT, allowNull: true });
  await q.createTable('deploys', {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    release: { type: DataTypes.INTEGER, allowNull: false },
    /** The release that served before: where a failed deploy returns to (null: none). */
    fromVersion: { type: DataTypes.INTEGER, allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    reason: { type: DataTypes.TEXT, allowNull: true },
    // Milliseconds on MySQL: deploys of one app often start within the same second.
    finishedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('deploys', ['appId', 'status'], { name: 'deploys_app_status' });
  await q.addColumn('jobs', 'dyno', { type: DataTypes.STRING(64), allowNull: true });
  await q.addColumn('jobs', 'oneOff', { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await q.addColumn('jobs', 'reason', { type: DataTypes.TEXT, allowNull: true });
  await q.addColumn('jobs', 'memoryBytes', { type: DataTypes.BIGINT, allowNull: true });
  await q.createTable('host_settings', {
    hostId: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    draining: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    removed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    ...timestamps,
  });
  // Requested one-offs; `placed` once the scheduler reports the job, gone when the job is.
  await q.createTable('one_off_requests', {
    id: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    dyno: { type: DataTypes.STRING(64), allowNull: false },
    command: { type: DataTypes.TEXT, allowNull: false },
    size: { type: DataTypes.STRING(32), allowNull: false },
    env: { type: DataTypes.TEXT, allowNull: false },
    userId: { type: DataTypes.INTEGER, allowNull: true },
    placed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    ...timestamps,
  });
  await q.addColumn('builds', 'healthchecks', { type: DataTypes.TEXT, allowNull: true });
  await q.bulkUpdate('formations', { size: 'standard-1x' }, { size: 'standard' });
  await q.bulkUpdate('formations', { size: 'performance-m' }, { size: 'performance' });
  // The column's default stays 'standard' in the schema: changeColumn on SQLite rebuilds the
  // table and loses the (appId, type) unique index. Every insert names its size (the model's
  // default is standard-1x), so the schema default is never used.
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.bulkUpdate('formations', { size: 'standard' }, { size: ['standard-1x', 'eco', 'basic', 'standard-2x'] });
  await q.bulkUpdate('formations', { size: 'performance' }, { size: ['performance-m', 'performance-l'] });
  await q.removeColumn('builds', 'healthchecks');
  await q.dropTable('one_off_requests');
  await q.dropTable('host_settings');
  for (const c of ['memoryBytes', 'reason', 'oneOff', 'dyno']) await q.removeColumn('jobs', c);
  await q.dropTable('deploys');
  await q.removeColumn('releases', 'statusReason');
  await q.removeColumn('releases', 'status');
}
