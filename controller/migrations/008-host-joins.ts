/**
 * Issue #10: hosts join the cluster with a token (`paas hosts:join-token`, `paas host:join`).
 * join_tokens keeps only a token's hash (the secret is shown once); host_subnets is each
 * host's container subnet, kept per host id so a rejoin gets the same one, and unique so
 * no two hosts ever share one.
 */
import { DataTypes, type QueryInterface } from 'sequelize';

export async function up({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.createTable('join_tokens', {
    // The token's public part (pjt_<id>_<secret>): what `hosts:join-tokens` lists and revokes by.
    id: { type: DataTypes.STRING(16), primaryKey: true, allowNull: false },
    secretHash: { type: DataTypes.STRING(64), allowNull: false },
    expiresAt: { type: DataTypes.DATE(3), allowNull: false },
    revokedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdBy: { type: DataTypes.STRING(255), allowNull: true },
    uses: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    lastUsedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await q.createTable('host_subnets', {
    hostId: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    subnet: { type: DataTypes.STRING(43), allowNull: false, unique: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
}

export async function down({ context: q }: { context: QueryInterface }): Promise<void> {
  await q.dropTable('host_subnets');
  await q.dropTable('join_tokens');
}
