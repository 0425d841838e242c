/**
 * The builder's operator settings, read from the environment of `paas up` and checked
 * at start (each problem says how to fix it): git receive limits (T22) and buildpacks
 * the operator makes available from host directories.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../shared';

export interface BuilderSettings {
  /** A push is refused once the app's repository is this big (bytes). */
  maxRepoBytes: number;
  /** Pushes per app and user in any hour. */
  pushesPerHour: number;
  /** Host directories of buildpacks operators allow (usable by name or by their path). */
  extraBuildpacks: { name: string; dir: string }[];
}

const GiB = 1024 * 1024 * 1024;

function positiveInt(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidInputError(`${key}=${raw} is not a positive whole number. Set it to one (e.g. ${key}=${fallback}) or unset it.`, 'invalid_setting');
  return n;
}

export function builderSettings(env: NodeJS.ProcessEnv = process.env): BuilderSettings {
  const extraBuildpacks = (env.PAAS_EXTRA_BUILDPACKS ?? '')
    .split(':')
    .filter(Boolean)
    .map((dir) => {
      if (!path.isAbsolute(dir) || !fs.existsSync(path.join(dir, 'bin', 'detect'))) {
        throw new InvalidInputError(`PAAS_EXTRA_BUILDPACKS: ${dir} is not a buildpack (an absolute path of a directory with bin/detect). Fix or remove it.`, 'invalid_setting');
      }
      return { name: path.basename(dir), dir: path.resolve(dir) };
    });
  return {
    maxRepoBytes: positiveInt(env, 'PAAS_GIT_MAX_REPO_BYTES', GiB),
    pushesPerHour: positiveInt(env, 'PAAS_GIT_PUSHES_PER_HOUR', 75),
    extraBuildpacks,
  };
}
