/**
 * Fault injection for the crash tests (RELIABILITY.md T9): when PAAS_CRASH_AT names a
 * point, the process kills itself with SIGKILL the Nth time (PAAS_CRASH_AFTER, default
 * 1) it passes there — the same as `kill -9` at the worst moment. Unset in production,
 * where each call is a single Map lookup.
 */
const hits = new Map<string, number>();

export type CrashPoint =
  | 'release.locked'
  | 'release.inserted'
  | 'release.before-commit'
  | 'release.committed'
  | 'outbox.published'
  | 'outbox.marked';

export function crashPoint(name: CrashPoint): void {
  if (process.env.PAAS_CRASH_AT !== name) return;
  const n = (hits.get(name) ?? 0) + 1;
  hits.set(name, n);
  if (n >= Number(process.env.PAAS_CRASH_AFTER ?? '1')) process.kill(process.pid, 'SIGKILL');
}
