/**
 * Join tokens (`paas hosts:join-token`): what a new machine shows to be admitted as a
 * host. A token is pjt_<id>_<secret>; only the secret's sha256 is stored, the id is what
 * operators list and revoke by. The secret is 256 random bits, so a plain hash is enough
 * (no password stretching) and the comparison is constant-time.
 */
import crypto from 'node:crypto';
import { InvalidInputError, NotFoundError, PaasError } from '../../shared';
import { JoinToken } from './join-models';

export const DEFAULT_JOIN_TOKEN_TTL_MS = 24 * 3600_000;
const TOKEN = /^pjt_([0-9a-f]{8})_([0-9a-f]{64})$/;

export interface JoinTokenView {
  id: string;
  expires_at: string;
  revoked_at: string | null;
  created_by: string | null;
  created_at: string;
  uses: number;
  last_used_at: string | null;
  state: 'active' | 'expired' | 'revoked';
}

const hash = (secret: string): string => crypto.createHash('sha256').update(secret).digest('hex');

export function presentJoinToken(t: JoinToken, now = Date.now()): JoinTokenView {
  const state = t.revokedAt ? 'revoked' : t.expiresAt.getTime() <= now ? 'expired' : 'active';
  return {
    id: t.id,
    expires_at: t.expiresAt.toISOString(),
    revoked_at: t.revokedAt?.toISOString() ?? null,
    created_by: t.createdBy,
    created_at: t.createdAt.toISOString(),
    uses: t.uses,
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    state,
  };
}

/** A new token; the returned `token` is the only time its secret exists outside the new host. */
export async function createJoinToken(ttlMs: number, createdBy: string | null): Promise<{ token: string; row: JoinToken }> {
  const id = crypto.randomBytes(4).toString('hex');
  const secret = crypto.randomBytes(32).toString('hex');
  const row = await JoinToken.create({ id, secretHash: hash(secret), expiresAt: new Date(Date.now() + ttlMs), createdBy });
  return { token: `pjt_${id}_${secret}`, row };
}

export async function revokeJoinToken(idOrToken: string): Promise<JoinToken> {
  const id = TOKEN.exec(idOrToken)?.[1] ?? idOrToken;
  const row = await JoinToken.findByPk(id);
  if (!row) throw new NotFoundError(`No join token ${id}. See \`paas hosts:join-tokens\` for the tokens.`, 'join_token_not_found');
  if (!row.revokedAt) await row.update({ revokedAt: new Date() });
  return row;
}

/** Checks a presented token; throws an error the joining machine shows as is. */
export async function useJoinToken(token: string, now = Date.now()): Promise<JoinToken> {
  const m = TOKEN.exec(token.trim());
  const again = 'Ask an operator for a new one: paas hosts:join-token';
  if (!m) throw new InvalidInputError(`That is not a join token (they look like pjt_1a2b3c4d_...). ${again}`, 'join_token_invalid');
  const row = await JoinToken.findByPk(m[1]);
  const given = Buffer.from(hash(m[2]!), 'hex');
  if (!row || !crypto.timingSafeEqual(given, Buffer.from(row.secretHash, 'hex'))) {
    throw new PaasError('join_token_invalid', `The join token was not accepted (unknown token). ${again}`, { status: 403 });
  }
  if (row.revokedAt) throw new PaasError('join_token_revoked', `The join token ${row.id} was revoked. ${again}`, { status: 403 });
  if (row.expiresAt.getTime() <= now) throw new PaasError('join_token_expired', `The join token ${row.id} expired at ${row.expiresAt.toISOString()}. ${again}`, { status: 403 });
  await row.update({ uses: row.uses + 1, lastUsedAt: new Date(now) });
  return row;
}
