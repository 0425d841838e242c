/**
 * The components one paas process can run (PAAS_ROLES). `paas up` runs them all on one
 * machine; a production layout spreads them: control nodes (controller, scheduler,
 * builder, registry), routers, and engine hosts.
 */
export const ROLES = ['controller', 'scheduler', 'router', 'builder', 'registry', 'host'] as const;
export type Role = (typeof ROLES)[number];

/** A comma-separated list of roles, in any order and case; `all` means every role. */
export function parseRoles(list: string): { roles?: Role[]; error?: string } {
  const names = list.split(',').map((r) => r.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) return { error: `must name at least one role: ${ROLES.join(', ')} (or all)` };
  if (names.includes('all')) return { roles: [...ROLES] };
  const unknown = names.filter((n) => !(ROLES as readonly string[]).includes(n));
  if (unknown.length) return { error: `unknown role${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the roles are ${ROLES.join(', ')} (or all)` };
  // In ROLES' order (the order they start in), each once.
  return { roles: ROLES.filter((r) => names.includes(r)) };
}
