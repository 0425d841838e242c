/** Issue #7: TLS certificates per app (SNI endpoints) and the per-app HTTP→HTTPS redirect. */
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.createTable('certs', {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    name: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    certificateChain: { type: DataTypes.TEXT, allowNull: false },
    privateKey: { type: DataTypes.TEXT, allowNull: false },
    certDomains: { type: DataTypes.TEXT, allowNull: false },
    domains: { type: DataTypes.TEXT, allowNull: true },
    expiresAt: { type: DataTypes.DATE, allowNull: false },
    // Milliseconds: the newest certificate for a name wins, and two can come within a second.
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('certs', ['appId'], { name: 'certs_app' });
  await q.createTable('https_settings', {
    appId: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    forceHttps: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    createdAt: { type: DataTypes.DATE, allowNull: false },
    updatedAt: { type: DataTypes.DATE, allowNull: false },
  });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.dropTable('https_settings');
  await q.dropTable('certs');
}
