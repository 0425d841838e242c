/**
 * Per-user API rate limit, Heroku's shape: a bucket of `perHour` requests that refills
 * continuously; an empty bucket answers 429 with Retry-After. Every response says what
 * is left in `RateLimit-Remaining`. The platform's own components are not limited.
 */
import type { Next } from 'koa';
import { PaasError } from '../../shared';
import type { Ctx } from './context';

export const SYSTEM_EMAIL = 'system@paas.internal';

export function rateLimit(perHour: number, now: () => number = Date.now) {
  const buckets = new Map<number, { tokens: number; at: number }>();
  const ratePerMs = perHour / 3_600_000;
  return async (ctx: Ctx, next: Next): Promise<void> => {
    const user = ctx.state.user;
    if (!user || user.email === SYSTEM_EMAIL) return next();
    const t = now();
    const b = buckets.get(user.id) ?? { tokens: perHour, at: t };
    b.tokens = Math.min(perHour, b.tokens + (t - b.at) * ratePerMs);
    b.at = t;
    buckets.set(user.id, b);
    if (b.tokens < 1) {
      const retry = Math.ceil((1 - b.tokens) / ratePerMs / 1000);
      ctx.set('Retry-After', String(retry));
      ctx.set('RateLimit-Remaining', '0');
      throw new PaasError('rate_limit', `Your account reached the API rate limit of ${perHour} requests per hour. Try again in ${retry} seconds.`, {
        status: 429,
        expose: true,
        retryable: true,
      });
    }
    b.tokens -= 1;
    ctx.set('RateLimit-Remaining', String(Math.floor(b.tokens)));
    await next();
  };
}
