/**
 * Each drain reads the app's lines through its own durable JetStream pull consumer on
 * the log stream, so what it has not delivered yet survives a controller restart and is
 * shared by every controller running the forwarder:
 * - filtered to the app's subject, deliver policy New: it starts at the drain's creation;
 * - explicit acks; `max_ack_pending` = one batch: the lines out (in memory or naked and
 *   waiting for their redelivery) are at most one batch, so a retried batch comes back
 *   before any newer line;
 * - named from the drain id (`drain-<uuid>`), which lets a sweep delete consumers whose
 *   drain is gone.
 */
import { AckPolicy, DeliverPolicy, type JetStreamManager, type NatsConnection } from 'nats';
import { subjects } from '../../shared';
import { LOG_STREAM } from '../logs/log-store';

/** Lines per delivery (one POST, or one burst of syslog frames). */
export const BATCH_LINES = 500;
/** Longer than the worst delivery (connect 10 s + send 10 s), so a slow batch is not handed out twice. */
const ACK_WAIT_NS = 60 * 1e9;
const PREFIX = 'drain-';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const consumerName = (drainId: string): string => `${PREFIX}${drainId}`;

export class DrainConsumers {
  private constructor(private readonly jsm: JetStreamManager) {}

  static async open(nc: NatsConnection): Promise<DrainConsumers> {
    return new DrainConsumers(await nc.jetstreamManager());
  }

  /** Creates the drain's consumer (idempotent: the same configuration again is accepted). */
  async ensure(drainId: string, app: string): Promise<void> {
    await this.jsm.consumers.add(LOG_STREAM, {
      durable_name: consumerName(drainId),
      filter_subject: subjects.appLog.name(app),
      deliver_policy: DeliverPolicy.New,
      ack_policy: AckPolicy.Explicit,
      ack_wait: ACK_WAIT_NS,
      max_ack_pending: BATCH_LINES,
      max_deliver: -1,
    });
  }

  /** Deletes the drain's consumer; one already gone is fine. */
  async remove(drainId: string): Promise<void> {
    await this.jsm.consumers.delete(LOG_STREAM, consumerName(drainId)).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /**
   * The drains that have a consumer, with the subject each reads (for the sweep of
   * consumers whose drain is gone, and of those still reading a renamed app's old name).
   */
  async drainSubjects(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for await (const c of this.jsm.consumers.list(LOG_STREAM)) {
      const id = c.name.slice(PREFIX.length);
      if (c.name.startsWith(PREFIX) && UUID.test(id)) out.set(id, c.config.filter_subject ?? '');
    }
    return out;
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: unknown };
  return e?.api_error?.err_code === 10014 || e?.code === '404' || /consumer not found/i.test(String(e?.message));
}
