/**
 * The app's buildpack setting (`paas buildpacks:set`), turned into the names the runner
 * resolves. An absolute path is accepted only when the operator made that directory
 * available (PAAS_EXTRA_BUILDPACKS): otherwise any user could mount any host directory
 * (another app's repository) into their build.
 */
import path from 'node:path';
import { InvalidInputError } from '../shared';

export function appBuildpackNames(setting: string[], extra: { name: string; dir: string }[]): string[] {
  return setting.map((entry) => {
    if (!entry.startsWith('/')) return entry;
    const found = extra.find((bp) => bp.dir === path.resolve(entry));
    if (!found) throw new InvalidInputError(`The buildpack path ${entry} is not one this paas offers. Ask the operator to add it to PAAS_EXTRA_BUILDPACKS, or use a buildpack name or URL.`, 'unknown_buildpack');
    return found.name;
  });
}
