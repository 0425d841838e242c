/**
 * Which failures mean "the database is not there right now" (a restart, a failover, a
 * lost connection) rather than a bug: the API answers those 503 with a message to retry,
 * as Heroku's API does during its own database maintenance. A statement cut off this way
 * ran inside a transaction or alone, so it was applied whole or not at all: a retry by
 * the user is safe to reason about.
 */
const CONNECTION_ERRORS = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeConnectionTimedOutError',
  'SequelizeHostNotFoundError',
  'SequelizeHostNotReachableError',
  'SequelizeAccessDeniedError',
]);

/** mysql2's codes for a connection that went away or a server shutting down. */
const LOST_CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_CONNECTION_KILLED',
]);

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { name?: string; code?: string; parent?: unknown; original?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (e.name && CONNECTION_ERRORS.has(e.name)) return true;
    if (e.code && LOST_CONNECTION_CODES.has(e.code)) return true;
    e = (e.parent ?? e.original) as typeof e;
  }
  return false;
}

export const DATABASE_UNAVAILABLE = 'The database is unavailable (restarting or unreachable); nothing was changed by this request or it was applied whole. Try again in a moment.';
