/**
 * The controller's data model (Flynn's vocabulary): apps; builds (the artifact a push
 * produced); releases (build + config, numbered per app, immutable); formations
 * (process counts per type); jobs (one process on one host, as last reported).
 * Only the controller opens the database. The tables themselves are made by the
 * versioned migrations in migrations/ (migrate.ts); these are the models over them.
 */
import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type CreationOptional, type Sequelize } from 'sequelize';
import { defineCertModels } from './cert-models';
import { defineDrainModel } from './drains/drain-model';
import { defineJoinModels } from './join/join-models';

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare passwordHash: string;
  declare isAdmin: boolean;
}

export class Token extends Model<InferAttributes<Token>, InferCreationAttributes<Token>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  /** sha256 of the token: a stolen database does not give working tokens. */
  declare tokenHash: string;
  declare description: string;
}

export class App extends Model<InferAttributes<App>, InferCreationAttributes<App>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare ownerId: number;
  /** JSON object of the current config vars; every release keeps its own snapshot. */
  declare config: CreationOptional<string>;
  /** Version of the current release; 0 before the first release. */
  declare releaseVersion: CreationOptional<number>;
  /** JSON array of the app's buildpacks (names or URLs) in order; null: detect. */
  declare buildpacks: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export class Build extends Model<InferAttributes<Build>, InferCreationAttributes<Build>> {
  declare id: string;
  declare appId: number;
  declare status: BuildStatus;
  declare sourceVersion: string;
  declare userId: number | null;
  declare image: string | null;
  declare processTypes: string | null;
  declare buildpacks: string | null;
  /** The full build log (bounded by the builder), readable later. */
  declare output: CreationOptional<string | null>;
  declare imageDigest: CreationOptional<string | null>;
  declare imageSize: CreationOptional<number | null>;
  declare durationMs: CreationOptional<number | null>;
  declare finishedAt: CreationOptional<Date | null>;
  /** JSON of app.json's health checks per process type (see builder/app-json.ts); null: none. */
  declare healthchecks: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

export class Release extends Model<InferAttributes<Release>, InferCreationAttributes<Release>> {
  declare id: CreationOptional<number>;
  declare appId: number;
  declare version: number;
  declare buildId: string | null;
  /** JSON snapshot of the config vars of this release. */
  declare config: string;
  declare description: string;
  declare userId: number | null;
  /** The deploy's outcome: pending until the scheduler finishes rolling it out. */
  declare status: CreationOptional<ReleaseStatus>;
  declare statusReason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';
export type DeployStatus = 'pending' | 'succeeded' | 'failed' | 'superseded';

/** One rollout of a release by the scheduler; a newer deploy of the app supersedes a pending one. */
export class Deploy extends Model<InferAttributes<Deploy>, InferCreationAttributes<Deploy>> {
  declare id: string;
  declare appId: number;
  declare release: number;
  declare fromVersion: number | null;
  declare status: DeployStatus;
  declare reason: CreationOptional<string | null>;
  declare finishedAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** What operators decided about a host; a host without a row is in service. */
export class HostSetting extends Model<InferAttributes<HostSetting>, InferCreationAttributes<HostSetting>> {
  declare hostId: string;
  declare draining: boolean;
  declare removed: boolean;
  declare updatedAt: CreationOptional<Date>;
}

/** A one-off process (`paas run --detach`): requested, then placed by the scheduler. */
export class OneOffRequestRow extends Model<InferAttributes<OneOffRequestRow>, InferCreationAttributes<OneOffRequestRow>> {
  declare id: string;
  declare appId: number;
  declare dyno: string;
  declare command: string;
  declare size: string;
  /** JSON object of env vars on top of the release's config. */
  declare env: string;
  declare userId: number | null;
  /** The scheduler has reported the job: it is no longer waiting for a host. */
  declare placed: CreationOptional<boolean>;
  /** Attached (`paas run` with a terminal): the command runs once the user's terminal is there. */
  declare attach: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
}

export class Formation extends Model<InferAttributes<Formation>, InferCreationAttributes<Formation>> {
  declare id: CreationOptional<number>;
  declare appId: number;
  declare type: string;
  declare quantity: number;
  declare size: string;
}

export class Job extends Model<InferAttributes<Job>, InferCreationAttributes<Job>> {
  declare id: string;
  declare appId: number;
  declare release: number;
  declare type: string;
  declare hostId: string;
  declare state: string;
  declare ip: string | null;
  declare port: number | null;
  /** web.1, run.4821: the name the scheduler gave it; null for jobs reported before names. */
  declare dyno: CreationOptional<string | null>;
  declare oneOff: CreationOptional<boolean>;
  declare reason: CreationOptional<string | null>;
  declare memoryBytes: CreationOptional<number | null>;
  declare updatedAt: CreationOptional<Date>;
  declare createdAt: CreationOptional<Date>;
}

/** An event waiting in the outbox (publishedAt null) or already relayed to NATS. */
export class OutboxEvent extends Model<InferAttributes<OutboxEvent>, InferCreationAttributes<OutboxEvent>> {
  declare id: CreationOptional<number>;
  declare subject: string;
  declare payload: string;
  declare publishedAt: Date | null;
}

/** The stored answer to a request made with an Idempotency-Key, replayed on a retry. */
export class IdempotencyKey extends Model<InferAttributes<IdempotencyKey>, InferCreationAttributes<IdempotencyKey>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  declare key: string;
  declare request: string;
  declare status: number;
  declare body: string;
}

export class Collaborator extends Model<InferAttributes<Collaborator>, InferCreationAttributes<Collaborator>> {
  declare id: CreationOptional<number>;
  declare appId: number;
  declare userId: number;
}

export class Domain extends Model<InferAttributes<Domain>, InferCreationAttributes<Domain>> {
  declare id: CreationOptional<number>;
  declare appId: number;
  declare hostname: string;
  declare createdAt: CreationOptional<Date>;
}

export function defineModels(sequelize: Sequelize): void {
  const id = { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true };
  User.init(
    {
      id,
      email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      isAdmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    { sequelize, tableName: 'users' },
  );
  Token.init(
    {
      id,
      userId: { type: DataTypes.INTEGER, allowNull: false },
      tokenHash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      description: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '' },
    },
    { sequelize, tableName: 'tokens' },
  );
  App.init(
    {
      id,
      name: { type: DataTypes.STRING(30), allowNull: false, unique: true },
      ownerId: { type: DataTypes.INTEGER, allowNull: false },
      config: { type: DataTypes.TEXT, allowNull: false, defaultValue: '{}' },
      releaseVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      buildpacks: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'apps' },
  );
  Build.init(
    {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      sourceVersion: { type: DataTypes.STRING(64), allowNull: false },
      userId: { type: DataTypes.INTEGER, allowNull: true },
      image: { type: DataTypes.STRING(255), allowNull: true },
      processTypes: { type: DataTypes.TEXT, allowNull: true },
      buildpacks: { type: DataTypes.TEXT, allowNull: true },
      output: { type: DataTypes.TEXT('long'), allowNull: true },
      imageDigest: { type: DataTypes.STRING(80), allowNull: true },
      imageSize: { type: DataTypes.BIGINT, allowNull: true },
      durationMs: { type: DataTypes.INTEGER, allowNull: true },
      finishedAt: { type: DataTypes.DATE, allowNull: true },
      healthchecks: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'builds' },
  );
  Release.init(
    {
      id,
      appId: { type: DataTypes.INTEGER, allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      buildId: { type: DataTypes.STRING(36), allowNull: true },
      config: { type: DataTypes.TEXT, allowNull: false },
      description: { type: DataTypes.STRING(255), allowNull: false },
      userId: { type: DataTypes.INTEGER, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      statusReason: { type: DataTypes.TEXT, allowNull: true },
      createdAt: DataTypes.DATE,
    },
    // The unique index is what makes version numbering safe under concurrency.
    { sequelize, tableName: 'releases', indexes: [{ unique: true, fields: ['appId', 'version'] }] },
  );
  Formation.init(
    {
      id,
      appId: { type: DataTypes.INTEGER, allowNull: false },
      type: { type: DataTypes.STRING(64), allowNull: false },
      quantity: { type: DataTypes.INTEGER, allowNull: false },
      size: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'standard-1x' },
    },
    { sequelize, tableName: 'formations', indexes: [{ unique: true, fields: ['appId', 'type'] }] },
  );
  Job.init(
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      release: { type: DataTypes.INTEGER, allowNull: false },
      type: { type: DataTypes.STRING(64), allowNull: false },
      hostId: { type: DataTypes.STRING(64), allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false },
      ip: { type: DataTypes.STRING(64), allowNull: true },
      port: { type: DataTypes.INTEGER, allowNull: true },
      dyno: { type: DataTypes.STRING(64), allowNull: true },
      oneOff: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      memoryBytes: { type: DataTypes.BIGINT, allowNull: true },
      createdAt: DataTypes.DATE,
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'jobs' },
  );
  Deploy.init(
    {
      id: { type: DataTypes.STRING(36), primaryKey: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      release: { type: DataTypes.INTEGER, allowNull: false },
      fromVersion: { type: DataTypes.INTEGER, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false },
      reason: { type: DataTypes.TEXT, allowNull: true },
      finishedAt: { type: DataTypes.DATE(3), allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'deploys' },
  );
  HostSetting.init(
    {
      hostId: { type: DataTypes.STRING(64), primaryKey: true },
      draining: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      removed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      updatedAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'host_settings' },
  );
  OneOffRequestRow.init(
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      appId: { type: DataTypes.INTEGER, allowNull: false },
      dyno: { type: DataTypes.STRING(64), allowNull: false },
      command: { type: DataTypes.TEXT, allowNull: false },
      size: { type: DataTypes.STRING(32), allowNull: false },
      env: { type: DataTypes.TEXT, allowNull: false },
      userId: { type: DataTypes.INTEGER, allowNull: true },
      placed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      attach: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DataTypes.DATE,
    },
    { sequelize, tableName: 'one_off_requests' },
  );
  OutboxEvent.init(
    {
      id,
      subject: { type: DataTypes.STRING(255), allowNull: false },
      payload: { type: DataTypes.TEXT, allowNull: false },
      publishedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'events' },
  );
  IdempotencyKey.init(
    {
      id,
      userId: { type: DataTypes.INTEGER, allowNull: false },
      key: { type: DataTypes.STRING(255), allowNull: false },
      request: { type: DataTypes.STRING(512), allowNull: false },
      status: { type: DataTypes.INTEGER, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
    },
    { sequelize, tableName: 'idempotency_keys' },
  );
  Collaborator.init(
    { id, appId: { type: DataTypes.INTEGER, allowNull: false }, userId: { type: DataTypes.INTEGER, allowNull: false } },
    { sequelize, tableName: 'collaborators' },
  );
  Domain.init(
    { id, appId: { type: DataTypes.INTEGER, allowNull: false }, hostname: { type: DataTypes.STRING(253), allowNull: false }, createdAt: DataTypes.DATE },
    { sequelize, tableName: 'domains' },
  );
  defineCertModels(sequelize);
  defineDrainModel(sequelize);
  defineJoinModels(sequelize);
}
