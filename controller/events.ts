/**
 * The transactional outbox: an event is written in the same transaction as the change
 * it describes and relayed to NATS after the commit (at once, and by a periodic sweep
 * that also catches what a crash left behind). A crash between commit and publish loses
 * nothing; it can publish an event twice, which every consumer tolerates (they
 * reconcile rather than apply deltas).
 */
import type { NatsConnection } from 'nats';
import { Op, type Transaction } from 'sequelize';
import { coalesce, errorMessage, subjects, type AppLogLine, type Logger } from '../shared';
import { crashPoint } from './crash-points';
import { OutboxEvent } from './models';

export type Event =
  | { subject: typeof subjects.releaseCreated; value: { app: string; version: number } }
  | {
      subject: typeof subjects.formationUpdated | typeof subjects.routesChanged | typeof subjects.appDeleted | typeof subjects.oneOffRequested | typeof subjects.certsChanged;
      value: { app: string };
    }
  | { subject: typeof subjects.appRenamed; value: { app: string; from: string } }
  | { subject: typeof subjects.dynosRestart; value: { app: string; type?: string; dyno?: string } }
  | { subject: typeof subjects.dynosStop; value: { app: string; dyno: string } }
  | { subject: typeof subjects.hostsChanged; value: { hostId: string; removed?: boolean } }
  /** A line in one app's log stream (api-log.ts): the subject names the app. */
  | { subject: { name: string; schema: typeof subjects.appLog.schema }; value: AppLogLine };

const SWEEP_MS = 1_000;
const KEEP_PUBLISHED_MS = 60 * 60_000;

export class Outbox {
  private timer?: NodeJS.Timeout;
  private readonly relays = coalesce(() => this.pass(this.nc as NatsConnection), {
    onError: (err) => this.log.warn('outbox relay failed; will retry', { err: errorMessage(err) }),
  });
  private lastPrune = 0;

  constructor(
    private readonly nc: NatsConnection | undefined,
    private readonly log: Logger,
  ) {}

  /** Writes the event as part of `t`; it is relayed once `t` commits. */
  async record(t: Transaction, event: Event): Promise<void> {
    const payload = JSON.stringify(event.subject.schema.parse(event.value));
    await OutboxEvent.create({ subject: event.subject.name, payload, publishedAt: null }, { transaction: t });
    t.afterCommit(() => void this.relay());
  }

  start(): void {
    this.timer = setInterval(() => void this.relay(), SWEEP_MS);
    void this.relay();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.relays.idle();
  }

  /** Publishes every unpublished event in order; one pass at a time. */
  relay(): Promise<void> {
    return this.nc ? this.relays.run() : Promise.resolve();
  }

  private async pass(nc: NatsConnection): Promise<void> {
    for (;;) {
      const batch = await OutboxEvent.findAll({ where: { publishedAt: null }, order: [['id', 'ASC']], limit: 200 });
      if (batch.length === 0) break;
      for (const e of batch) nc.publish(e.subject, new TextEncoder().encode(e.payload));
      // Marked only once the server has them: a crash here means a re-send, not a loss.
      await nc.flush();
      crashPoint('outbox.published');
      await OutboxEvent.update({ publishedAt: new Date() }, { where: { id: batch.map((e) => e.id) } });
      crashPoint('outbox.marked');
    }
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      await OutboxEvent.destroy({ where: { publishedAt: { [Op.lt]: new Date(Date.now() - KEEP_PUBLISHED_MS) } } });
    }
  }
}
