/**
 * One error hierarchy for every component. Each error carries a stable code, the HTTP
 * status it maps to, whether its message is safe to show a user (`expose`), and whether
 * retrying the same call may help. The API turns these into its one error shape.
 */
export interface PaasErrorOptions {
  status?: number;
  expose?: boolean;
  retryable?: boolean;
  cause?: unknown;
}

export class PaasError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: PaasErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.expose = options.expose ?? this.status < 500;
    this.retryable = options.retryable ?? false;
  }
}

export class NotFoundError extends PaasError {
  constructor(message: string, code = 'not_found') {
    super(code, message, { status: 404 });
  }
}

export class InvalidInputError extends PaasError {
  constructor(message: string, code = 'invalid_params') {
    super(code, message, { status: 422 });
  }
}

export class ConflictError extends PaasError {
  constructor(message: string, code = 'conflict') {
    super(code, message, { status: 409, retryable: true });
  }
}

export class UnauthorizedError extends PaasError {
  constructor(message = 'Invalid credentials provided. Run `paas login` to log in again.') {
    super('unauthorized', message, { status: 401 });
  }
}

export class ForbiddenError extends PaasError {
  constructor(message = 'You do not have access to this app.') {
    super('forbidden', message, { status: 403 });
  }
}

export class UnavailableError extends PaasError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { status: 503, expose: true, retryable: true, cause });
  }
}

/** The wire shape of every API error (Heroku's Platform API uses the same two fields). */
export interface ErrorBody {
  id: string;
  message: string;
  request_id?: string;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
