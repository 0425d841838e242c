/**
 * TLS certificates of apps (Heroku's SNI endpoints) and the per-app HTTP→HTTPS redirect.
 * Tables made by migrations/005-certs.ts; defineModels() calls defineCertModels().
 */
import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

export class Cert extends Model<InferAttributes<Cert>, InferCreationAttributes<Cert>> {
  declare id: string;
  declare name: string;
  declare appId: number;
  /** PEM, leaf first. Public. */
  declare certificateChain: string;
  /** Sealed by CertVault (AES-256-GCM); never leaves the controller except to routers. */
  declare privateKey: string;
  /** JSON array: the names the certificate covers (CN/SANs). */
  declare certDomains: string;
  /** JSON array of the app domains it is limited to (`certs:add --domain`); null: every app domain it covers. */
  declare domains: string | null;
  declare expiresAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class HttpsSetting extends Model<InferAttributes<HttpsSetting>, InferCreationAttributes<HttpsSetting>> {
  declare appId: number;
  declare forceHttps: boolean;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export function defineCertModels(sequelize: Sequelize): void {
  Cert.init(
    {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      name: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      certificateChain: { type: DataTypes.TEXT, allowNull: false },
      privateKey: { type: DataTypes.TEXT, allowNull: false },
      certDomains: { type: DataTypes.TEXT, allowNull: false },
      domains: { type: DataTypes.TEXT, allowNull: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'certs' },
  );
  HttpsSetting.init(
    {
      appId: { type: DataTypes.INTEGER, primaryKey: true },
      forceHttps: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'https_settings' },
  );
}
