/**
 * Passwords and API tokens. Tokens are random, shown once, and stored only as their
 * sha256; passwords are hashed with scrypt.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { Token, User } from './models';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: string, keylen: number) => Promise<Buffer>;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16).toString('hex');
  const key = await scrypt(password, salt, 32);
  return `scrypt$${salt}$${key.toString('hex')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, hex] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hex) return false;
  const key = await scrypt(password, salt, 32);
  const expected = Buffer.from(hex, 'hex');
  return expected.length === key.length && crypto.timingSafeEqual(expected, key);
}

export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

export function newSecret(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(24).toString('base64url')}`;
}

/** Creates a token for the user and returns it in clear (the only time it is visible). */
export async function issueToken(userId: number, description: string): Promise<string> {
  return (await issueTokenRecord(userId, description)).token;
}

/** Like issueToken, with the new token's row (its id, for listing and revoking). */
export async function issueTokenRecord(userId: number, description: string): Promise<{ row: Token; token: string }> {
  const token = newSecret('paas');
  const row = await Token.create({ userId, tokenHash: hashToken(token), description });
  return { row, token };
}

export async function userForToken(token: string): Promise<User | null> {
  const row = await Token.findOne({ where: { tokenHash: hashToken(token) } });
  return row ? User.findByPk(row.userId) : null;
}
