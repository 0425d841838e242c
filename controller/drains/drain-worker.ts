/**
 * One drain's loop, while this controller holds the drain's lease: fetch up to a batch
 * of the app's lines from the drain's consumer, deliver them as one batch, ack them. A
 * failed batch is not acked but naked with a delay (the backoff), so JetStream
 * redelivers it: that is the retry, and it survives a controller restart. While it
 * waits nothing newer is handed out (max_ack_pending is one batch), so lines arrive in
 * order. What waits is bounded by the stream: the app's last 1,500 lines (older ones
 * are dropped by JetStream, delivered or not) plus the one batch in memory.
 */
import crypto from 'node:crypto';
import { JSONCodec, type Consumer, type JetStreamClient, type JsMsg } from 'nats';
import { errorMessage, type AppLogLine, type Logger } from '../../shared';
import { LOG_STREAM } from '../logs/log-store';
import { BATCH_LINES, consumerName, isNotFound } from './drain-consumers';
import type { DrainLease } from './drain-lease';
import { Backoff, newStatus, type DrainStatus } from './drain-status';
import { syslogFrame } from './syslog-frame';
import type { DrainTransport } from './transport';

const codec = JSONCodec<AppLogLine>();
/** How long a fetch waits for the first lines: the latency of a quiet app's line. */
const FETCH_EXPIRES_MS = 1_000;
/** Waiting for a redelivery a little longer than its delay, so it comes before any newer line. */
const REDELIVERY_MARGIN_MS = 250;

export interface DrainSpec {
  id: string;
  app: string;
  url: string;
  token: string;
}

export class DrainWorker {
  readonly status: DrainStatus = newStatus();
  private readonly backoff = new Backoff();
  private readonly ac = new AbortController();
  private done?: Promise<void>;
  /** Looked up once, and again after any error. */
  private consumer?: Consumer;

  constructor(
    readonly drain: DrainSpec,
    private readonly js: JetStreamClient,
    private readonly transport: DrainTransport,
    private readonly lease: DrainLease,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  /**
   * Stops after the batch in hand: one being sent is let finish (cutting it off could
   * send it twice, once here and once from the next holder), one not sent yet is naked
   * at once, so another controller can take it.
   */
  async stop(): Promise<void> {
    this.ac.abort();
    await this.done;
    this.transport.close();
    await this.lease.release();
  }

  private async loop(): Promise<void> {
    const signal = this.ac.signal;
    while (!signal.aborted) {
      try {
        // Another controller forwards this drain: wait for its lease to end (see drain-lease.ts).
        if (!(await this.lease.acquire())) {
          await sleep(1_000, signal);
          continue;
        }
        const batch = await this.fetch();
        if (batch.length) await this.deliver(batch, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.consumer = undefined;
        // The consumer is gone (the drain was just removed; the next reload stops this
        // worker) or NATS is unreachable: wait and try again.
        if (!isNotFound(err)) this.log.warn('drain fetch failed', { drain: this.drain.id, err: errorMessage(err) });
        await sleep(1_000, signal);
      }
    }
  }

  /**
   * A fetch is never cut short, even by stop(): lines the server already sent would be
   * lost to this client yet held by the server until the ack wait (60 s) ran out, and
   * then come after newer lines. It ends within FETCH_EXPIRES_MS anyway.
   */
  private async fetch(): Promise<JsMsg[]> {
    this.consumer ??= await this.js.consumers.get(LOG_STREAM, consumerName(this.drain.id));
    const messages = await this.consumer.fetch({ max_messages: BATCH_LINES, expires: FETCH_EXPIRES_MS });
    const batch: JsMsg[] = [];
    for await (const m of messages) batch.push(m);
    return batch;
  }

  private async deliver(batch: JsMsg[], signal: AbortSignal): Promise<void> {
    const frames: Buffer[] = [];
    const lines: JsMsg[] = [];
    for (const m of batch) {
      const line = decode(m);
      // A message that is not a log line can never be delivered: drop it rather than retry it forever.
      if (!line) m.term();
      else {
        frames.push(syslogFrame(line, this.drain.token));
        lines.push(m);
      }
    }
    if (!lines.length) return;
    // Stopping: hand the lines back at once, so the controller that takes the drain over sends them first.
    if (signal.aborted) {
      for (const m of lines) m.nak();
      return;
    }
    // The same lines retried get the same id, so an HTTPS receiver can drop a duplicate.
    const frameId = crypto.createHash('sha256').update(`${this.drain.id}:${lines[0]!.seq}:${lines.at(-1)!.seq}`).digest('hex').slice(0, 32);
    try {
      await this.transport.send(frames, frameId);
    } catch (err) {
      if (signal.aborted) {
        for (const m of lines) m.nak();
        return;
      }
      const delay = this.backoff.next();
      for (const m of lines) m.nak(delay);
      this.status.last_error = errorMessage(err);
      this.status.last_error_at = new Date().toISOString();
      this.log.warn('drain delivery failed; retrying', { drain: this.drain.id, app: this.drain.app, lines: lines.length, retryInMs: delay, err: errorMessage(err) });
      await sleep(delay + REDELIVERY_MARGIN_MS, signal);
      return;
    }
    for (const m of lines) m.ack();
    this.backoff.reset();
    this.status.delivered_lines += lines.length;
    this.status.last_success_at = new Date().toISOString();
  }
}

function decode(m: JsMsg): AppLogLine | undefined {
  try {
    return codec.decode(m.data);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
