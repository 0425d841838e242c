/**
 * The one error handler at the top: every failure leaves as `{id, message}` with a real
 * HTTP status. Internal errors are logged in full and shown only as a generic message.
 */
import type { Next } from 'koa';
import { PaasError, type Logger } from '../../shared';
import { DATABASE_UNAVAILABLE, isDatabaseUnavailable } from '../db-errors';
import type { Ctx } from './context';

export function errorHandler(log: Logger) {
  return async (ctx: Ctx, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const known = err instanceof PaasError ? err : (fromHttpError(err) ?? fromDatabaseOutage(err));
      const status = known?.status ?? (isSequelizeUnique(err) ? 409 : 500);
      if (known?.code === 'database_unavailable') log.warn('request refused: the database is unavailable', { path: ctx.path, requestId: ctx.state.requestId, err: (err as Error).message });
      else if (status >= 500) log.error('request failed', { err, path: ctx.path, requestId: ctx.state.requestId });
      ctx.status = status;
      ctx.body = {
        id: known?.code ?? (status === 409 ? 'conflict' : 'internal_error'),
        message:
          known && known.expose
            ? known.message
            : status === 409
              ? 'The resource was changed at the same time by another request; try again.'
              : `Internal server error (request ${ctx.state.requestId}); the operator can find it in the controller's log.`,
        request_id: ctx.state.requestId,
      };
    }
  };
}

function isSequelizeUnique(err: unknown): boolean {
  return err instanceof Error && err.name === 'SequelizeUniqueConstraintError';
}

function fromDatabaseOutage(err: unknown): PaasError | undefined {
  return isDatabaseUnavailable(err) ? new PaasError('database_unavailable', DATABASE_UNAVAILABLE, { status: 503, expose: true, retryable: true, cause: err }) : undefined;
}

/** koa's own errors (a body that is not JSON, one too large) carry a 4xx status. */
function fromHttpError(err: unknown): PaasError | undefined {
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  const message = e.status === 413 ? 'The request body is too large.' : `The request is malformed: ${String(e.message)}. Send a JSON body.`;
  return new PaasError(e.status === 413 ? 'payload_too_large' : 'bad_request', message, { status: e.status });
}
