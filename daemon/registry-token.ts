/** The credentials of the OCI registry images move through between nodes. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RegistryCredentials, RegistryPolicy } from '../engine';
import type { PaasConfig } from '../shared';

/** The registry credential of a node: the embedded registry accepts any user name and its token; an external one wants its account (PAAS_REGISTRY_USER). */
export function registryCredentials(token: string | undefined, username = 'paas'): RegistryCredentials | undefined {
  return token ? { username, password: token } : undefined;
}

/** The embedded registry's token (basic-auth password) when PAAS_REGISTRY_TOKEN is not set: made once per data dir. */
export function registryToken(dataDir: string): string {
  const file = path.join(dataDir, 'secrets', 'registry-token');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

/** How this node speaks to registries a reference names without a scheme (engine/registry-url.ts). */
export function registryPolicy(config: Pick<PaasConfig, 'registryUrl' | 'insecureRegistries'>): RegistryPolicy {
  return { urls: config.registryUrl ? [config.registryUrl] : [], insecure: config.insecureRegistries };
}
