/**
 * One configuration file per node: KEY=VALUE lines (dotenv's syntax: `#` comments,
 * optional quotes), read from PAAS_CONFIG_FILE, else /etc/paas/paas.env when it exists.
 * The environment wins over the file, so `PAAS_LOG_LEVEL=debug paas node` overrides one
 * setting for one run without editing the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'dotenv';
import { InvalidInputError } from './errors';

export const DEFAULT_CONFIG_FILE = '/etc/paas/paas.env';

export interface ConfigFile {
  path: string;
  values: Record<string, string>;
}

/** The node's configuration file, or undefined when none is named and the default does not exist. */
export function readConfigFile(env: NodeJS.ProcessEnv, defaultPath = DEFAULT_CONFIG_FILE): ConfigFile | undefined {
  const named = env.PAAS_CONFIG_FILE;
  const file = named || (fs.existsSync(defaultPath) ? defaultPath : undefined);
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new InvalidInputError(`paas cannot read its configuration file ${file} (${why}). Fix PAAS_CONFIG_FILE or create the file (packaging/paas.env.example).`, 'bad_config');
  }
  const values = parse(text);
  if ('PAAS_CONFIG_FILE' in values) {
    throw new InvalidInputError(`${file}: PAAS_CONFIG_FILE cannot be set inside a configuration file; remove that line.`, 'bad_config');
  }
  return { path: file, values };
}

/** The file's values under the environment's (empty environment values do not hide the file's). */
export function mergeConfigFile(env: NodeJS.ProcessEnv, file: ConfigFile | undefined): Record<string, string> {
  const merged: Record<string, string> = { ...(file?.values ?? {}) };
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') merged[k] = v;
  for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
  return merged;
}

/** A value as a KEY=VALUE line holds it: bare when plain, else double-quoted. */
function envValue(v: string): string {
  return /^[\w.:/@,=+%-]*$/.test(v) ? v : JSON.stringify(v);
}

/**
 * The file's text with `values` set (`paas host:join`): each key's first line is
 * rewritten in place, its other lines dropped, new keys appended under `note`; every
 * other line (comments, other settings) stays as it was.
 */
export function setConfigValues(text: string, values: Record<string, string>, note: string): string {
  const done = new Set<string>();
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1];
    if (key === undefined || !(key in values)) {
      lines.push(line);
    } else if (!done.has(key)) {
      done.add(key);
      lines.push(`${key}=${envValue(values[key]!)}`);
    }
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const added = Object.keys(values).filter((k) => !done.has(k));
  if (added.length) lines.push(...(lines.length ? [''] : []), `# ${note}`, ...added.map((k) => `${k}=${envValue(values[k]!)}`));
  return lines.join('\n') + '\n';
}

/** Writes `values` into the configuration file at `file` (created if missing), mode 0600, atomically. */
export function writeConfigValues(file: string, values: Record<string, string>, note: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, setConfigValues(text, values, note), { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}
