/** "3s ago", "5m ago", "2h ago", "4d ago": how long ago, as Heroku's `ps` says it. */
export function ago(when: Date, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - when.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}
