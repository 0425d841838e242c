/**
 * Where the CLI keeps the login: ~/.config/paas/credentials.json (mode 0600), and, like
 * Heroku's CLI, a ~/.netrc entry for the API host so that `git push` authenticates with
 * the same token without asking.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Credentials {
  api: string;
  email: string;
  token: string;
}

const file = (): string => path.join(process.env.PAAS_CONFIG_DIR ?? path.join(os.homedir(), '.config', 'paas'), 'credentials.json');

export function readCredentials(): Credentials | undefined {
  try {
    return JSON.parse(fs.readFileSync(file(), 'utf8')) as Credentials;
  } catch {
    return undefined;
  }
}

export function writeCredentials(c: Credentials): void {
  fs.mkdirSync(path.dirname(file()), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file(), JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(file(), 0o600);
  writeNetrc(new URL(c.api).hostname, c.email, c.token);
}

export function removeCredentials(): Credentials | undefined {
  const c = readCredentials();
  fs.rmSync(file(), { force: true });
  if (c) writeNetrc(new URL(c.api).hostname, undefined, undefined);
  return c;
}

/** Replaces (or removes) the `machine HOST` entry of ~/.netrc, keeping the others. */
function writeNetrc(host: string, login: string | undefined, password: string | undefined): void {
  const netrc = path.join(os.homedir(), '.netrc');
  const existing = fs.existsSync(netrc) ? fs.readFileSync(netrc, 'utf8') : '';
  const entries = existing.split(/(?=^machine\s)/m).filter((e) => e.trim() && !new RegExp(`^machine\\s+${host.replace(/\./g, '\\.')}\\s`).test(e));
  if (login && password) entries.push(`machine ${host}\n  login ${login}\n  password ${password}\n`);
  fs.writeFileSync(netrc, entries.map((e) => (e.endsWith('\n') ? e : e + '\n')).join(''), { mode: 0o600 });
  fs.chmodSync(netrc, 0o600);
}
