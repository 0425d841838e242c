/**
 * What the controller knows of hosts, from their heartbeats on NATS: enough for
 * operators' `GET /hosts`. (The scheduler keeps its own view for placement.)
 */
import type { NatsConnection, Subscription } from 'nats';
import { afterHeartbeat, isAlive, isRestarting, subjects, subscribe, type HostHeartbeat, type HostLiveness, type Logger } from '../shared';

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
  /** Heard within 10 s, or silent since its agent said it is restarting (for at most HOST_RESTART_GRACE_MS). */
  alive: boolean;
  /** Its agent stopped to restart or upgrade and the next one has not spoken yet: its containers run on. */
  restarting: boolean;
}

export class HostDirectory {
  private readonly hosts = new Map<string, { hb: HostHeartbeat; liveness: HostLiveness }>();
  private sub?: Subscription;

  constructor(private readonly now: () => number = Date.now) {}

  watch(nc: NatsConnection, log: Logger): void {
    this.sub = subscribe(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, log, (hb) => this.heartbeat(hb));
  }

  heartbeat(hb: HostHeartbeat): void {
    const liveness = afterHeartbeat(this.hosts.get(hb.hostId)?.liveness, hb, this.now());
    if (liveness) this.hosts.set(hb.hostId, { hb, liveness });
  }

  /** The container subnets other hosts' heartbeats claim (none of them may go to a joining host). */
  subnets(exceptHostId?: string): string[] {
    return [...this.hosts.values()].filter(({ hb }) => hb.hostId !== exceptHostId && hb.subnet).map(({ hb }) => hb.subnet!);
  }

  list(): HostView[] {
    return [...this.hosts.values()]
      .map(({ hb, liveness }) => ({
        id: hb.hostId,
        address: hb.address,
        subnet: hb.subnet ?? null,
        runtime: hb.runtime,
        memory_bytes: hb.memoryBytes,
        cpus: hb.cpus,
        jobs: hb.jobs.filter((j) => j.state === 'starting' || j.state === 'up').length,
        last_seen: new Date(liveness.seen).toISOString(),
        alive: isAlive(liveness, this.now()),
        restarting: isRestarting(liveness, this.now()),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  stop(): void {
    this.sub?.unsubscribe();
  }
}
