/**
 * Heroku's log line: `2026-11-22T15:30:16.123456+00:00 app[web.1]: listening on 5000`.
 * The time is the host's, to the microsecond, in UTC written as +00:00; the source is
 * `app` for a process's own output and `paas` for the platform's lines about it
 * (`paas[web.1]: State changed from starting to up`, `paas[router]: at=info ...`).
 */
import type { AppLogLine } from '../../shared';

export function herokuTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return iso;
  const micros = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${m[1]}.${micros}${m[3] === 'Z' ? '+00:00' : m[3]}`;
}

export function formatLogLine(l: AppLogLine): string {
  return `${herokuTime(l.time)} ${l.source ?? 'app'}[${l.dyno ?? l.jobId}]: ${l.line}`;
}
