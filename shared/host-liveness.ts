/**
 * Whether a host is alive, from its heartbeats: one rule for the scheduler (which
 * replaces a dead host's jobs) and the controller (which shows `paas hosts`), so the
 * two never disagree about a host. Alive: heard within `deadAfterMs` (five missed 2 s
 * heartbeats), or silent since its agent's last heartbeat said `restarting` (a clean
 * stop for a restart or an upgrade: its containers run on) for at most `graceMs`.
 */
import { HOST_RESTART_GRACE_MS, type HostHeartbeat } from './subjects';

export const HOST_DEAD_AFTER_MS = 10_000;

export interface HostLiveness {
  /** When the last heartbeat that counts was received (this node's clock). */
  seen: number;
  /** The agent's `at` on its "restarting" heartbeat, while the next agent has not spoken. */
  restartingAt?: string;
}

/**
 * The liveness after a heartbeat, or undefined when the heartbeat is stale: a stopping
 * agent's last regular heartbeat may arrive after its "restarting" one, and only a later
 * heartbeat (the next agent's) ends the restart.
 */
export function afterHeartbeat(before: HostLiveness | undefined, hb: Pick<HostHeartbeat, 'at' | 'restarting'>, now: number): HostLiveness | undefined {
  if (!hb.restarting && before?.restartingAt && hb.at <= before.restartingAt) return undefined;
  return hb.restarting ? { seen: now, restartingAt: hb.at } : { seen: now };
}

export function isRestarting(l: HostLiveness, now: number, graceMs = HOST_RESTART_GRACE_MS): boolean {
  return l.restartingAt !== undefined && now - l.seen <= graceMs;
}

export function isAlive(l: HostLiveness, now: number, deadAfterMs = HOST_DEAD_AFTER_MS, graceMs = HOST_RESTART_GRACE_MS): boolean {
  return now - l.seen <= deadAfterMs || isRestarting(l, now, graceMs);
}
