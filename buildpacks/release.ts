/** bin/release output: YAML with default_process_types and config_vars (addons are ignored). */
import { parse } from 'yaml';
import { BuildpackReleaseError } from './errors';
import { PROCESS_TYPE_PATTERN } from './procfile';

export interface ReleaseInfo {
  processTypes: Record<string, string>;
  configVars: Record<string, string>;
}

const CONFIG_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses one buildpack's bin/release output; empty output means "nothing to declare". */
export function parseRelease(text: string, buildpack: string): ReleaseInfo {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new BuildpackReleaseError(buildpack, `printed invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return { processTypes: {}, configVars: {} };
  if (!isMapping(doc)) throw new BuildpackReleaseError(buildpack, 'must print a YAML mapping');

  return {
    processTypes: scalarMap(doc.default_process_types, 'default_process_types', PROCESS_TYPE_PATTERN, buildpack),
    configVars: scalarMap(doc.config_vars, 'config_vars', CONFIG_KEY_PATTERN, buildpack),
  };
}

/** Merges releases in buildpack order: a later buildpack overrides an earlier one key by key. */
export function mergeReleases(releases: ReleaseInfo[]): ReleaseInfo {
  const merged: ReleaseInfo = { processTypes: {}, configVars: {} };
  for (const release of releases) {
    Object.assign(merged.processTypes, release.processTypes);
    Object.assign(merged.configVars, release.configVars);
  }
  return merged;
}

function scalarMap(value: unknown, field: string, keyPattern: RegExp, buildpack: string): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) throw new BuildpackReleaseError(buildpack, `${field} must be a mapping`);
  const result: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!keyPattern.test(key)) throw new BuildpackReleaseError(buildpack, `${field} has an invalid name "${key}"`);
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new BuildpackReleaseError(buildpack, `${field}.${key} must be a string`);
    }
    result[key] = String(raw);
  }
  return result;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
