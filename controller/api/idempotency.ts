/**
 * Idempotency keys (RELIABILITY.md T12): a write sent again with the same
 * `Idempotency-Key` gets the first answer replayed instead of being applied twice. The
 * key is claimed in the database before the handler runs, so two concurrent requests
 * with one key cannot both apply; a key reused for a different request is refused.
 */
import type { Next } from 'koa';
import { ConflictError, InvalidInputError } from '../../shared';
import { IdempotencyKey } from '../models';
import type { Ctx } from './context';

const PENDING = 0;
const KEY = /^[\x21-\x7e]{1,255}$/;

export function idempotency() {
  return async (ctx: Ctx, next: Next): Promise<void> => {
    const key = ctx.get('idempotency-key');
    const user = ctx.state.user;
    if (!key || !user || ctx.method === 'GET' || ctx.method === 'HEAD') return next();
    if (!KEY.test(key)) throw new InvalidInputError('Idempotency-Key must be 1 to 255 printable ASCII characters.');
    const request = `${ctx.method} ${ctx.path}`;
    const existing = await IdempotencyKey.findOne({ where: { userId: user.id, key } });
    if (existing) return replay(ctx, existing, request);
    let claim: IdempotencyKey;
    try {
      claim = await IdempotencyKey.create({ userId: user.id, key, request, status: PENDING, body: '' });
    } catch (err) {
      if (err instanceof Error && err.name === 'SequelizeUniqueConstraintError') {
        const other = await IdempotencyKey.findOne({ where: { userId: user.id, key } });
        if (other) return replay(ctx, other, request);
      }
      throw err;
    }
    try {
      await next();
    } catch (err) {
      // A failed request may be retried with the same key: forget the claim.
      await claim.destroy();
      throw err;
    }
    if (ctx.status >= 500) await claim.destroy();
    else await claim.update({ status: ctx.status, body: ctx.body === undefined ? '' : JSON.stringify(ctx.body) });
  };
}

function replay(ctx: Ctx, row: IdempotencyKey, request: string): void {
  if (row.request !== request) {
    throw new InvalidInputError(`This Idempotency-Key was used for ${row.request}; use a new key for a different request.`, 'idempotency_key_reused');
  }
  if (row.status === PENDING) throw new ConflictError('A request with this Idempotency-Key is still being processed; retry in a moment.', 'idempotency_in_progress');
  ctx.status = row.status;
  ctx.set('Idempotent-Replayed', 'true');
  ctx.body = row.body ? (JSON.parse(row.body) as unknown) : undefined;
}
