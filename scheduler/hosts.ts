/**
 * The hosts the scheduler knows, from their heartbeats, and what operators decided
 * about them (drain, remove). A host silent for longer than `deadAfterMs` (10 s: five
 * missed 2 s heartbeats) is dead: its jobs count as lost and are replaced elsewhere.
 * When it comes back, its jobs are listed again and the plan stops the duplicates.
 * An agent that stops cleanly (a restart, an upgrade) says so in its last heartbeat
 * (`restarting`): its containers run on, so the host stays alive for `restartGraceMs`
 * (60 s) instead, time for the next agent to start and heartbeat.
 */
import { afterHeartbeat, HOST_DEAD_AFTER_MS, HOST_RESTART_GRACE_MS, isAlive, isRestarting, type HostHeartbeat, type HostLiveness, type JobInfo } from '../shared';
import type { HostCapacity } from './placement';

export interface KnownHost {
  id: string;
  address: string;
  memoryBytes: number;
  cpus: number;
  /** The jobs of its last heartbeat: what was lost if it dies now. */
  jobs: JobInfo[];
  /** When it was last heard, and whether its agent said it is restarting (shared/host-liveness). */
  liveness: HostLiveness;
}

export interface HostPolicy {
  draining: boolean;
  removed: boolean;
}

/** Memory kept for the host itself (engine, agent, page cache): 256 MiB or 10 %, whichever is more. */
export function reserveBytes(totalBytes: number): number {
  return Math.max(256 * 1024 * 1024, Math.floor(totalBytes * 0.1));
}

const liveJob = (j: JobInfo): boolean => j.state === 'starting' || j.state === 'up';

export class HostRegistry {
  private readonly hosts = new Map<string, KnownHost>();
  private policies = new Map<string, HostPolicy>();

  constructor(
    private readonly deadAfterMs = HOST_DEAD_AFTER_MS,
    private readonly now: () => number = Date.now,
    private readonly restartGraceMs = HOST_RESTART_GRACE_MS,
  ) {}

  /** Records a heartbeat; true when the host was unknown or dead until now (a pass should run). */
  heartbeat(hb: HostHeartbeat): boolean {
    const before = this.hosts.get(hb.hostId);
    const returning = !before || !this.isAlive(before);
    const liveness = afterHeartbeat(before?.liveness, hb, this.now());
    // A stale heartbeat (the stopping agent's, overtaken by its "restarting" one) changes nothing.
    if (liveness) this.hosts.set(hb.hostId, { id: hb.hostId, address: hb.address, memoryBytes: hb.memoryBytes, cpus: hb.cpus, jobs: hb.jobs, liveness });
    return returning;
  }

  /** Operators' decisions, from the controller (GET /scheduler/hosts). */
  setPolicies(list: { id: string; draining: boolean; removed: boolean }[]): void {
    this.policies = new Map(list.map((h) => [h.id, { draining: h.draining, removed: h.removed }]));
  }

  policy(id: string): HostPolicy {
    return this.policies.get(id) ?? { draining: false, removed: false };
  }

  private isAlive(h: KnownHost): boolean {
    return isAlive(h.liveness, this.now(), this.deadAfterMs, this.restartGraceMs);
  }

  /** True while the host's agent is between a clean stop and its next start. */
  restarting(id: string): boolean {
    const h = this.hosts.get(id);
    return !!h && isRestarting(h.liveness, this.now(), this.restartGraceMs);
  }

  alive(): KnownHost[] {
    return [...this.hosts.values()].filter((h) => this.isAlive(h));
  }

  dead(): KnownHost[] {
    return [...this.hosts.values()].filter((h) => !this.isAlive(h));
  }

  get(id: string): KnownHost | undefined {
    return this.hosts.get(id);
  }

  /** True when new jobs may land on the host: alive, not draining, not removed. */
  accepts(id: string): boolean {
    const h = this.hosts.get(id);
    const p = this.policy(id);
    return !!h && this.isAlive(h) && !this.restarting(id) && !p.draining && !p.removed;
  }

  /** True when the host's jobs must move elsewhere (drained or removed). */
  evacuating(id: string): boolean {
    const p = this.policy(id);
    return p.draining || p.removed;
  }

  /**
   * Free memory of the hosts that accept jobs: total − reserve − the limits of the live
   * jobs `running` on them (a job without a reported limit counts `defaultJobBytes`).
   */
  capacities(running: readonly JobInfo[], defaultJobBytes: number): HostCapacity[] {
    const used = new Map<string, number>();
    for (const j of running) if (liveJob(j)) used.set(j.hostId, (used.get(j.hostId) ?? 0) + (j.memoryBytes ?? defaultJobBytes));
    return this.alive()
      .filter((h) => this.accepts(h.id))
      .map((h) => ({ id: h.id, freeBytes: h.memoryBytes - reserveBytes(h.memoryBytes) - (used.get(h.id) ?? 0) }));
  }
}
