/**
 * The app's `.buildpacks` file and explicit buildpack lists: entries resolved to buildpacks.
 * An entry is a shipped name (`nodejs`, `heroku/nodejs`), a third-party buildpack (a git URL or an
 * absolute path, made available by the caller's fetch hook), or `./dir`, a buildpack inside the app.
 */
import { posix } from 'node:path';
import { BuildpackFetchError, UnknownBuildpackError } from './errors';
import type { BuildpackRef, FetchBuildpack } from './types';

/** One entry per line; `#` comments and blank lines are skipped. */
export function parseBuildpacksFile(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A URL or an absolute path: something the caller fetches, not a shipped name. */
export function isThirdParty(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || entry.startsWith('/');
}

/** A name for a fetched buildpack, safe as a directory name: the last path segment without `.git`. */
export function buildpackNameOf(reference: string): string {
  const withoutRef = reference.replace(/#.*$/, '').replace(/\/+$/, '');
  const last = withoutRef.slice(withoutRef.lastIndexOf('/') + 1).replace(/\.git$/, '');
  const name = last.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '').slice(0, 60);
  return name === '' ? 'buildpack' : name;
}

/**
 * Maps entries to buildpacks, keeping the order. `heroku/X` and `paas/X` mean the shipped `X`
 * so that a `.buildpacks` written for Heroku's registry names works.
 */
export async function resolveBuildpacks(
  entries: string[],
  available: BuildpackRef[],
  context: { buildDir: string; fetchBuildpack?: FetchBuildpack; announce?: (entry: string) => void },
): Promise<BuildpackRef[]> {
  const resolved: BuildpackRef[] = [];
  for (const entry of entries) {
    if (entry.startsWith('./')) {
      resolved.push(appBuildpack(entry, context.buildDir));
    } else if (isThirdParty(entry)) {
      if (!context.fetchBuildpack) {
        throw new BuildpackFetchError(`Buildpack ${redact(entry)} cannot be used: this paas runs only the buildpacks it ships.`, {
          hint: 'HINT: use a shipped buildpack name, or ask the operator to enable third-party buildpacks.',
        });
      }
      context.announce?.(redact(entry));
      resolved.push(await context.fetchBuildpack(entry));
    } else {
      const name = entry.replace(/^(heroku|paas)\//, '');
      const found = available.find((bp) => bp.name === name);
      if (!found) throw new UnknownBuildpackError(entry, available.map((bp) => bp.name));
      resolved.push(found);
    }
  }
  return resolved;
}

/**
 * `./dir`: a buildpack committed with the app. It runs in the build like the app's own build
 * scripts do, so it needs no fetching; it only has to stay inside the app.
 */
function appBuildpack(entry: string, buildDir: string): BuildpackRef {
  const rel = posix.normalize(entry);
  if (rel.startsWith('..') || rel === '.' || entry.split('/').includes('..')) {
    throw new BuildpackFetchError(`Buildpack ${entry}: a buildpack inside the app must be a directory below the app's root.`);
  }
  return { name: buildpackNameOf(rel), dir: posix.join(buildDir, rel), source: entry };
}

/** A URL as it may be shown in the build log: without user and password (tokens live there). */
export function redact(reference: string): string {
  return reference.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}
