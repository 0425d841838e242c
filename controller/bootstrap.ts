/**
 * First start: the admin account (its password printed once by `paas up`) and the
 * system token the platform's own components use, kept in the data dir with mode 0600.
 * Later starts reuse both.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hashPassword, issueToken, userForToken } from './auth';
import { SYSTEM_EMAIL } from './api/rate-limit';
import { User } from './models';

export interface Bootstrap {
  adminEmail: string;
  /** Set only on the very first start; afterwards the password is not known. */
  adminPassword?: string;
  systemToken: string;
}

export async function bootstrapAccounts(dataDir: string, adminEmail: string): Promise<Bootstrap> {
  const secrets = path.join(dataDir, 'secrets');
  fs.mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const result: Bootstrap = { adminEmail, systemToken: '' };
  if (!(await User.findOne({ where: { email: adminEmail } }))) {
    result.adminPassword = crypto.randomBytes(12).toString('base64url');
    await User.create({ email: adminEmail, passwordHash: await hashPassword(result.adminPassword), isAdmin: true });
  }
  const system = await User.findOne({ where: { email: SYSTEM_EMAIL } }) ??
    (await User.create({ email: SYSTEM_EMAIL, passwordHash: '!', isAdmin: true }));
  // The token file is per data dir; a shared database (production) gets one token per node.
  const tokenFile = path.join(secrets, 'system-token');
  if (fs.existsSync(tokenFile)) {
    result.systemToken = fs.readFileSync(tokenFile, 'utf8').trim();
    if (await userForToken(result.systemToken)) return result;
  }
  result.systemToken = await issueToken(system.id, 'paas system components');
  fs.writeFileSync(tokenFile, result.systemToken + '\n', { mode: 0o600 });
  return result;
}
