/**
 * The hosts the scheduler knows, from their heartbeats. A host silent for longer than
 * `deadAfterMs` is dead: nothing new is placed on it (rescheduling its jobs is issue #6).
 */
import type { HostHeartbeat } from '../shared';

export interface KnownHost {
  id: string;
  address: string;
  memoryBytes: number;
  cpus: number;
  lastSeen: number;
  jobs: number;
}

export class HostRegistry {
  private readonly hosts = new Map<string, KnownHost>();

  constructor(private readonly deadAfterMs = 10_000, private readonly now: () => number = Date.now) {}

  heartbeat(hb: HostHeartbeat): void {
    this.hosts.set(hb.hostId, {
      id: hb.hostId,
      address: hb.address,
      memoryBytes: hb.memoryBytes,
      cpus: hb.cpus,
      lastSeen: this.now(),
      jobs: hb.jobs.filter((j) => j.state === 'starting' || j.state === 'up').length,
    });
  }

  alive(): KnownHost[] {
    const cutoff = this.now() - this.deadAfterMs;
    return [...this.hosts.values()].filter((h) => h.lastSeen >= cutoff);
  }

  /** The live host with the fewest jobs; counts the placement so a batch spreads out. */
  place(): KnownHost | undefined {
    const [best] = this.alive().sort((a, b) => a.jobs - b.jobs || a.id.localeCompare(b.id));
    if (best) best.jobs += 1;
    return best;
  }
}
