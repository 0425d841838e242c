/** The credentials of the OCI registry images move through between nodes. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RegistryCredentials } from '../engine';

/** The registry credential of a node: the embedded registry accepts any user name and its token. */
export function registryCredentials(token: string | undefined): RegistryCredentials | undefined {
  return token ? { username: 'paas', password: token } : undefined;
}

/** The embedded registry's token (basic-auth password) when PAAS_REGISTRY_TOKEN is not set: made once per data dir. */
export function registryToken(dataDir: string): string {
  const file = path.join(dataDir, 'secrets', 'registry-token');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}
