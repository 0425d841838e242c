/**
 * The agent's last known state of each job (starting, up, …), kept in a file of the
 * engine's data dir. The engine knows a container runs; only the agent knows whether it
 * passed its readiness check. A restarted (or upgraded) agent reads this file so that it
 * reports a job that was `up` as `up` from its first heartbeat: the router keeps the
 * route, the scheduler starts no replacement, and no "State changed from starting to up"
 * is written twice. Written atomically (temporary file, then rename) on every change.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { JobState } from '../shared';

export interface SavedJobState {
  state: JobState;
  reason?: string;
}

const STATES: readonly string[] = ['starting', 'up', 'crashed', 'down'];

/** The saved states; none when the file is missing or unreadable (the agent then re-checks readiness). */
export function loadJobStates(file: string): Map<string, SavedJobState> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return new Map();
  }
  const out = new Map<string, SavedJobState>();
  if (!parsed || typeof parsed !== 'object') return out;
  for (const [id, v] of Object.entries(parsed as Record<string, unknown>)) {
    const s = v as { state?: unknown; reason?: unknown } | null;
    if (!s || typeof s.state !== 'string' || !STATES.includes(s.state)) continue;
    out.set(id, { state: s.state as JobState, ...(typeof s.reason === 'string' ? { reason: s.reason } : {}) });
  }
  return out;
}

export function saveJobStates(file: string, jobs: ReadonlyMap<string, SavedJobState>): void {
  const obj: Record<string, SavedJobState> = {};
  for (const [id, j] of jobs) obj[id] = { state: j.state, ...(j.reason ? { reason: j.reason } : {}) };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(obj));
  renameSync(tmp, file);
}
