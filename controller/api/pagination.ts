/**
 * Pagination of lists: `?limit=N&offset=M` (limit 1–1000, default 200). When a page is
 * full, the response has a `Link: <…>; rel="next"` header to the next page.
 */
import { InvalidInputError } from '../../shared';
import type { Ctx } from './context';

export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

export function page(ctx: Ctx): { limit: number; offset: number } {
  const limit = ctx.query.limit === undefined ? DEFAULT_PAGE : Number(ctx.query.limit);
  const offset = ctx.query.offset === undefined ? 0 : Number(ctx.query.offset);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_PAGE}.`);
  if (!Number.isInteger(offset) || offset < 0) throw new InvalidInputError('offset must be a non-negative integer.');
  // The next-page link is set after the handler, once the page is known to be full.
  ctx.state.page = { limit, offset };
  return { limit, offset };
}

/** Middleware: adds the `Link` header when a paginated list came back full. */
export async function nextPageLink(ctx: Ctx, next: () => Promise<unknown>): Promise<void> {
  await next();
  const p = ctx.state.page;
  if (p && Array.isArray(ctx.body) && ctx.body.length === p.limit) {
    const url = new URL(ctx.originalUrl, 'http://x');
    url.searchParams.set('limit', String(p.limit));
    url.searchParams.set('offset', String(p.offset + p.limit));
    ctx.set('Link', `<${url.pathname}${url.search}>; rel="next"`);
  }
}
