/**
 * Which controller forwards a drain: every controller runs the forwarder, and a lease
 * in a JetStream key-value bucket (`PAAS_DRAIN_LEASES`, key = drain id) lets one of
 * them fetch the drain's lines at a time. Without it two controllers could each take
 * part of the drain's consumer's window (a short batch leaves room under
 * max_ack_pending for newer lines) and deliver them at the same time, out of order.
 * The holder renews the lease every 2 s, also while it waits to retry; a lease not
 * renewed for 10 s (its holder died) expires and another controller takes the drain.
 * A controller that stops gives its leases up at once.
 */
import crypto from 'node:crypto';
import type { KV, NatsConnection } from 'nats';
import { errorMessage, jetStreamReplicas, type Logger } from '../../shared';

export const LEASE_BUCKET = 'PAAS_DRAIN_LEASES';
const LEASE_TTL_MS = 10_000;
const RENEW_MS = 2_000;

export async function openLeaseBucket(nc: NatsConnection): Promise<KV> {
  return nc.jetstream().views.kv(LEASE_BUCKET, { ttl: LEASE_TTL_MS, history: 1, replicas: jetStreamReplicas() });
}

export class DrainLease {
  /** The revision of our entry while we hold the lease. */
  private revision?: number;
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private readonly holder = crypto.randomUUID();

  constructor(
    private readonly kv: KV,
    private readonly drainId: string,
    private readonly log: Logger,
  ) {}

  get held(): boolean {
    return this.revision !== undefined;
  }

  /** Takes the lease if it is free (or already ours); true while this controller holds it. */
  async acquire(): Promise<boolean> {
    if (this.held) return true;
    try {
      this.revision = await this.kv.create(this.drainId, this.holder);
    } catch {
      return false; // another controller holds it
    }
    this.timer = setInterval(() => (this.renewing = this.renew()), RENEW_MS);
    return true;
  }

  /** Gives the lease up, so another controller can take the drain now rather than after the TTL. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
    const revision = this.revision;
    this.revision = undefined;
    if (revision !== undefined) await this.kv.delete(this.drainId, { previousSeq: revision }).catch(() => undefined);
  }

  private async renew(): Promise<void> {
    const revision = this.revision;
    if (revision === undefined) return;
    try {
      const next = await this.kv.update(this.drainId, this.holder, revision);
      if (this.revision === revision) this.revision = next;
    } catch (err) {
      // Expired and taken (this process stalled) or NATS unreachable: stop fetching until it is ours again.
      this.log.warn('lost the lease of a log drain', { drain: this.drainId, err: errorMessage(err) });
      clearInterval(this.timer);
      this.revision = undefined;
    }
  }
}
