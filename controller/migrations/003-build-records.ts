/**
 * Build records that can be read later (the log, the image's digest and size, how long
 * the build took, when it finished) and each app's buildpack setting (`paas buildpacks:set`).
 */
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  // LONGTEXT on MySQL: a build log may reach the builder's bound (10 MB), past TEXT's 64 KB.
  await q.addColumn('builds', 'output', { type: DataTypes.TEXT('long'), allowNull: true });
  await q.addColumn('builds', 'imageDigest', { type: DataTypes.STRING(80), allowNull: true });
  await q.addColumn('builds', 'imageSize', { type: DataTypes.BIGINT, allowNull: true });
  await q.addColumn('builds', 'durationMs', { type: DataTypes.INTEGER, allowNull: true });
  await q.addColumn('builds', 'finishedAt', { type: DataTypes.DATE, allowNull: true });
  await q.addIndex('builds', ['status'], { name: 'builds_status' });
  /** JSON array of buildpack names or URLs, in order; null: detect (or the app's `.buildpacks`). */
  await q.addColumn('apps', 'buildpacks', { type: DataTypes.TEXT, allowNull: true });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.removeColumn('apps', 'buildpacks');
  await q.removeIndex('builds', 'builds_status');
  for (const c of ['finishedAt', 'durationMs', 'imageSize', 'imageDigest', 'output']) await q.removeColumn('builds', c);
}
