/**
 * Join tokens and hosts' container subnets (tables made by migrations/008-host-joins.ts;
 * defineModels() calls defineJoinModels()).
 */
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export class JoinToken extends Model<InferAttributes<JoinToken>, InferCreationAttributes<JoinToken>> {
  declare id: string;
  /** sha256 of the secret part, hex: the secret itself is shown once and never stored. */
  declare secretHash: string;
  declare expiresAt: Date;
  declare revokedAt: CreationOptional<Date | null>;
  declare createdBy: string | null;
  declare uses: CreationOptional<number>;
  declare lastUsedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class HostSubnet extends Model<InferAttributes<HostSubnet>, InferCreationAttributes<HostSubnet>> {
  declare hostId: string;
  declare subnet: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function defineJoinModels(sequelize: Sequelize): void {
  JoinToken.init(
    {
      id: { type: DataTypes.STRING(16), primaryKey: true },
      secretHash: { type: DataTypes.STRING(64), allowNull: false },
      expiresAt: { type: DataTypes.DATE(3), allowNull: false },
      revokedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdBy: { type: DataTypes.STRING(255), allowNull: true },
      uses: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lastUsedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'join_tokens' },
  );
  HostSubnet.init(
    {
      hostId: { type: DataTypes.STRING(64), primaryKey: true },
      subnet: { type: DataTypes.STRING(43), allowNull: false, unique: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'host_subnets' },
  );
}
