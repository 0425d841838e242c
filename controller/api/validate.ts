/** One zod schema per route gives both the check and the type. */
import type { z } from 'zod';
import { InvalidInputError } from '../../shared';

export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`Invalid request: ${problems}`);
  }
  return result.data;
}

/** Heroku's app name rule (also Dokku's alphabet): starts with a letter, ≤ 30 chars. */
export const APP_NAME = /^[a-z][a-z0-9-]{1,29}$/;
export const APP_NAME_HELP =
  'Name must start with a letter, end with a letter or digit and can only contain lowercase letters, digits, and dashes (at most 30 characters).';
