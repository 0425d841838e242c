/**
 * The one error handler at the top: every failure leaves as `{id, message}` with a real
 * HTTP status. Internal errors are logged in full and shown only as a generic message.
 */
import type { Next } from 'koa';
import { PaasError, type Logger } from '../../shared';
import type { Ctx } from './context';

export function errorHandler(log: Logger) {
  return async (ctx: Ctx, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      const known = err instanceof PaasError ? err : undefined;
      const status = known?.status ?? (isSequelizeUnique(err) ? 409 : 500);
      if (status >= 500) log.error('request failed', { err, path: ctx.path, requestId: ctx.state.requestId });
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
