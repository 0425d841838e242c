/**
 * What the controller knows of hosts, from their heartbeats on NATS: enough for
 * operators' `GET /hosts`. (The scheduler keeps its own view for placement.)
 */
import type { NatsConnection, Subscription } from 'nats';
import { subjects, subscribe, type HostHeartbeat, type Logger } from '../shared';

export const HOST_DEAD_AFTER_MS = 10_000;

export interface HostView {
  id: string;
  address: string;
  /** Its containers' subnet (routed to `address` by the other nodes); null when its heartbeat has none. */
  subnet: string | null;
  runtime: string;
  memory_bytes: number;
  cpus: number;
  jobs: number;
  last_seen: string;
  alive: boolean;
}

export class HostDirectory {
  private readonly hosts = new Map<string, { hb: HostHeartbeat; seen: number }>();
  private sub?: Subscription;

  constructor(private readonly now: () => number = Date.now) {}

  watch(nc: NatsConnection, log: Logger): void {
    this.sub = subscribe(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, log, (hb) => this.heartbeat(hb));
  }

  heartbeat(hb: HostHeartbeat): void {
    this.hosts.set(hb.hostId, { hb, seen: this.now() });
  }

  /** The container subnets other hosts' heartbeats claim (none of them may go to a joining host). */
  subnets(exceptHostId?: string): string[] {
    return [...this.hosts.values()].filter(({ hb }) => hb.hostId !== exceptHostId && hb.subnet).map(({ hb }) => hb.subnet!);
  }

  list(): HostView[] {
    return [...this.hosts.values()]
      .map(({ hb, seen }) => ({
        id: hb.hostId,
        address: hb.address,
        subnet: hb.subnet ?? null,
        runtime: hb.runtime,
        memory_bytes: hb.memoryBytes,
        cpus: hb.cpus,
        jobs: hb.jobs.filter((j) => j.state === 'starting' || j.state === 'up').length,
        last_seen: new Date(seen).toISOString(),
        alive: this.now() - seen <= HOST_DEAD_AFTER_MS,
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
