/**
 * app.json at the root of the pushed source: paas reads its health checks, in Dokku's
 * format (`{"healthchecks": {"web": [{"type": "startup", "path": "/health",
 * "attempts": 5, "timeout": 5}]}}`, timeout in seconds). A web process is routed only
 * once it answers its path (RELIABILITY.md T4). Other app.json keys are left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { HealthCheck } from '../controller';
import { InvalidInputError } from '../shared';

const check = z.object({
  type: z.string().optional(),
  name: z.string().optional(),
  path: z.string().optional(),
  attempts: z.number().int().positive().max(100).optional(),
  /** Seconds, as in Dokku. */
  timeout: z.number().positive().max(600).optional(),
});

const appJson = z.looseObject({ healthchecks: z.record(z.string(), z.array(check)).optional() });

export interface AppJson {
  /** The startup check per process type (the first one with a path). */
  healthchecks: Record<string, HealthCheck>;
  /** Things paas ignores but the user should know about. */
  warnings: string[];
}

/** Reads `<dir>/app.json`; none is fine. Bad JSON or a malformed check fails the push. */
export function readAppJson(dir: string): AppJson {
  const file = path.join(dir, 'app.json');
  if (!fs.existsSync(file)) return { healthchecks: {}, warnings: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInputError(`app.json is not valid JSON (${(err as Error).message}). Fix app.json and push again.`, 'invalid_app_json');
  }
  const parsed = appJson.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'app.json'}: ${i.message}`).join('; ');
    throw new InvalidInputError(`app.json has invalid health checks (${problems}). The format is {"healthchecks": {"web": [{"type": "startup", "path": "/health", "attempts": 5, "timeout": 5}]}}; fix app.json and push again.`, 'invalid_app_json');
  }
  const healthchecks: Record<string, HealthCheck> = {};
  const warnings: string[] = [];
  for (const [type, checks] of Object.entries(parsed.data.healthchecks ?? {})) {
    for (const c of checks) {
      const kind = c.type ?? 'startup';
      if (kind !== 'startup' || !c.path) {
        warnings.push(`app.json: the ${kind} check${c.name ? ` ${c.name}` : ''} of ${type} is ignored; paas runs startup checks with a path.`);
        continue;
      }
      if (!c.path.startsWith('/')) throw new InvalidInputError(`app.json: the health check path of ${type} must start with / (got ${JSON.stringify(c.path)}). Fix app.json and push again.`, 'invalid_app_json');
      if (healthchecks[type]) {
        warnings.push(`app.json: ${type} has several startup checks; paas uses the first (${healthchecks[type].path}).`);
        continue;
      }
      healthchecks[type] = {
        path: c.path,
        ...(c.timeout !== undefined ? { timeoutMs: Math.round(c.timeout * 1000) } : {}),
        ...(c.attempts !== undefined ? { attempts: c.attempts } : {}),
      };
    }
  }
  return { healthchecks, warnings };
}
