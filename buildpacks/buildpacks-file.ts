/** The app's `.buildpacks` file and explicit buildpack lists: names resolved to buildpacks. */
import { UnknownBuildpackError } from './errors';
import type { BuildpackRef } from './types';

/** One entry per line; `#` comments and blank lines are skipped. */
export function parseBuildpacksFile(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Maps names to available buildpacks, keeping the order. `heroku/nodejs` and `paas/nodejs`
 * mean `nodejs` so that a `.buildpacks` written for Heroku's registry names works; URLs are
 * refused (paas runs only the buildpacks it was given, never code fetched at build time).
 */
export function resolveBuildpacks(names: string[], available: BuildpackRef[]): BuildpackRef[] {
  return names.map((entry) => {
    const name = entry.replace(/^(heroku|paas)\//, '');
    const found = available.find((bp) => bp.name === name);
    if (!found) throw new UnknownBuildpackError(entry, available.map((bp) => bp.name));
    return found;
  });
}
