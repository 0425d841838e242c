/**
 * A log drain of an app (table made by migrations/006-log-drains.ts; defineModels()
 * calls defineDrainModel()).
 */
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export class LogDrain extends Model<InferAttributes<LogDrain>, InferCreationAttributes<LogDrain>> {
  /** A UUID; it also names the drain's JetStream consumer (see drain-consumers.ts). */
  declare id: string;
  declare appId: number;
  /** As the user gave it, checked by drain-url.ts. */
  declare url: string;
  /** `d.<uuid>`: sent as the syslog HOSTNAME and the Logplex-Drain-Token header, so the receiver can tell drains apart. */
  declare token: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function defineDrainModel(sequelize: Sequelize): void {
  LogDrain.init(
    {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      url: { type: DataTypes.TEXT, allowNull: false },
      token: { type: DataTypes.STRING(40), allowNull: false, unique: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'log_drains' },
  );
}
