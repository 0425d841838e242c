/**
 * Releases: numbered per app from v1, immutable, each a build plus a complete config
 * snapshot. Numbering takes the app row's lock (MySQL) or the database's write lock
 * (SQLite IMMEDIATE transactions), and the unique (appId, version) index is the last
 * word: two writers can never share a version.
 */
import { transaction } from './db';
import type { Sequelize, Transaction } from 'sequelize';
import { ConflictError, InvalidInputError, NotFoundError, subjects } from '../shared';
import { actorOf, recordApiLines } from './api-log';
import { crashPoint } from './crash-points';
import type { Outbox } from './events';
import { DEFAULT_SIZE } from './api/sizes';
import { App, Build, Formation, Release } from './models';

export const CONFIG_LIMIT_BYTES = 32 * 1024;
const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type ConfigVars = Record<string, string>;

export interface ReleaseInput {
  buildId: string | null;
  config: ConfigVars;
  description: string;
  userId: number | null;
}

async function lockApp(app: App, t: Transaction): Promise<App> {
  const locked = await App.findByPk(app.id, { transaction: t, lock: t.LOCK.UPDATE });
  if (!locked) throw new NotFoundError(`Couldn't find that app.`);
  crashPoint('release.locked');
  return locked;
}

async function insertRelease(app: App, input: ReleaseInput, t: Transaction, outbox: Outbox): Promise<Release> {
  const max = (await Release.max('version', { where: { appId: app.id }, transaction: t })) as number | null;
  const version = (max ?? 0) + 1;
  const release = await Release.create(
    {
      appId: app.id,
      version,
      buildId: input.buildId,
      config: JSON.stringify(input.config),
      description: input.description,
      userId: input.userId,
      // Without a build there is nothing to roll out; with one, the scheduler's deploy decides.
      status: input.buildId ? 'pending' : 'succeeded',
    },
    { transaction: t },
  );
  crashPoint('release.inserted');
  app.releaseVersion = version;
  app.config = JSON.stringify(input.config);
  await app.save({ transaction: t });
  await outbox.record(t, { subject: subjects.releaseCreated, value: { app: app.name, version } });
  const actor = await actorOf(input.userId, t);
  await recordApiLines(outbox, t, app.name, [`${input.description} by ${actor}`, `Release v${version} created by ${actor}`]);
  crashPoint('release.before-commit');
  t.afterCommit(() => crashPoint('release.committed'));
  return release;
}

/** A release of a build with the app's current config; the first web build gets web=1. */
export async function releaseBuild(sequelize: Sequelize, app: App, build: Build, userId: number | null, outbox: Outbox): Promise<Release> {
  if (build.status !== 'succeeded') throw new ConflictError(`Build ${build.id} has not succeeded; only a succeeded build can be released.`);
  return transaction(sequelize, async (t) => {
    const locked = await lockApp(app, t);
    const types = Object.keys(JSON.parse(build.processTypes ?? '{}') as Record<string, string>);
    for (const type of types) {
      // Heroku scales web to 1 on the first deploy that declares it; other types start at 0.
      await Formation.findOrCreate({
        where: { appId: app.id, type },
        defaults: { appId: app.id, type, quantity: type === 'web' ? 1 : 0, size: DEFAULT_SIZE },
        transaction: t,
      });
    }
    const description = `Deploy ${build.sourceVersion.slice(0, 7)}`;
    return insertRelease(locked, { buildId: build.id, config: parseConfig(locked.config), description, userId }, t, outbox);
  });
}

/** Applies config changes (null unsets) as one new release; nothing is written if invalid. */
export async function changeConfig(
  sequelize: Sequelize,
  app: App,
  changes: Record<string, string | null>,
  userId: number | null,
  outbox: Outbox,
): Promise<ConfigVars> {
  for (const key of Object.keys(changes)) {
    if (!CONFIG_KEY.test(key)) {
      throw new InvalidInputError(`Invalid config var name ${JSON.stringify(key)}: use letters, digits and underscores, not starting with a digit.`);
    }
  }
  return transaction(sequelize, async (t) => {
    const locked = await lockApp(app, t);
    const config = parseConfig(locked.config);
    const set: string[] = [];
    const unset: string[] = [];
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) {
        if (key in config) unset.push(key);
        delete config[key];
      } else {
        config[key] = value;
        set.push(key);
      }
    }
    const size = Buffer.byteLength(JSON.stringify(config));
    if (size > CONFIG_LIMIT_BYTES) {
      throw new InvalidInputError(`Config vars would take ${size} bytes; the limit is ${CONFIG_LIMIT_BYTES} bytes (32 kB) per app. Remove or shorten some values.`, 'config_too_large');
    }
    const current = locked.releaseVersion ? await Release.findOne({ where: { appId: app.id, version: locked.releaseVersion }, transaction: t }) : null;
    const parts = [set.length ? `Set ${set.join(', ')} config vars` : '', unset.length ? `Remove ${unset.join(', ')} config vars` : ''].filter(Boolean);
    await insertRelease(locked, { buildId: current?.buildId ?? null, config, description: parts.join('; ') || 'Config unchanged', userId }, t, outbox);
    return config;
  });
}

export function parseConfig(json: string): ConfigVars {
  return JSON.parse(json) as ConfigVars;
}

/** Rollback to vN: a new release with vN's build and config. The current release is refused. */
export async function rollback(sequelize: Sequelize, app: App, version: number, userId: number | null, outbox: Outbox): Promise<Release> {
  return transaction(sequelize, async (t) => {
    const locked = await lockApp(app, t);
    if (version === locked.releaseVersion) {
      throw new InvalidInputError(`v${version} is already the current release. Choose an earlier one from \`paas releases\`.`, 'already_current');
    }
    const target = await Release.findOne({ where: { appId: app.id, version }, transaction: t });
    if (!target) throw new NotFoundError(`Couldn't find release v${version}. See \`paas releases\` for the list.`);
    return insertRelease(locked, { buildId: target.buildId, config: parseConfig(target.config), description: `Rollback to v${version}`, userId }, t, outbox);
  });
}
