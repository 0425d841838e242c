/**
 * The container lifecycle as an explicit state machine, and the record persisted in
 * <dataDir>/containers/<id>/state.json. Every state change goes through `transition`,
 * so an impossible call (start a removed container, …) fails with a typed error
 * instead of corrupting state.
 */
import type { ContainerInfo, ContainerSpec, ContainerState } from './types';
import { InvalidTransitionError } from './errors';

/** created→running→stopped→removed; a stopped container may be started again (restart). */
const allowed: Record<ContainerState, readonly ContainerState[]> = {
  created: ['running', 'removed'],
  running: ['stopped'],
  stopped: ['running', 'removed'],
  removed: [],
};

export function canTransition(from: ContainerState, to: ContainerState): boolean {
  return allowed[from].includes(to);
}

/** What the engine keeps about one container (state.json). */
export interface ContainerRecord {
  id: string;
  spec: ContainerSpec;
  state: ContainerState;
  /** Bridge-mode address, allocated at create and kept until remove. */
  ip?: string;
  /** Name of the network namespace (ip netns), bridge and none modes. */
  netns?: string;
  /** Host end of the veth pair (bridge mode). */
  hostVeth?: string;
  /** Container init pid, as seen from the host. */
  pid?: number;
  /** The process that waits for the runtime (shim) and records the exit code. */
  monitorPid?: number;
  /** Last /dev/kmsg sequence number seen when the container started (OOM attribution). */
  kmsgSeq?: number;
  exitCode?: number | null;
  oomKilled?: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export function transition(record: ContainerRecord, to: ContainerState): void {
  if (!canTransition(record.state, to)) throw new InvalidTransitionError(record.id, record.state, to);
  record.state = to;
}

export function toInfo(r: ContainerRecord): ContainerInfo {
  const info: ContainerInfo = {
    id: r.id,
    image: r.spec.image,
    state: r.state,
    labels: { ...(r.spec.labels ?? {}) },
    createdAt: r.createdAt,
  };
  if (r.ip) info.ip = r.ip;
  if (r.state === 'running' && r.pid) info.pid = r.pid;
  if (r.exitCode !== undefined) info.exitCode = r.exitCode;
  if (r.oomKilled !== undefined) info.oomKilled = r.oomKilled;
  if (r.startedAt) info.startedAt = r.startedAt;
  if (r.finishedAt) info.finishedAt = r.finishedAt;
  return info;
}
