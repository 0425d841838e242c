/** Log drains: where an app's log lines are forwarded (syslog+tls://, syslog://, https://). */
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.createTable('log_drains', {
    id: { type: DataTypes.STRING(36), primaryKey: true, allowNull: false },
    appId: { type: DataTypes.INTEGER, allowNull: false },
    // TEXT: a URL can be long; duplicates per app are refused by the API (an index on TEXT needs a prefix on MySQL).
    url: { type: DataTypes.TEXT, allowNull: false },
    token: { type: DataTypes.STRING(40), allowNull: false, unique: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.addIndex('log_drains', ['appId'], { name: 'log_drains_app' });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.dropTable('log_drains');
}
