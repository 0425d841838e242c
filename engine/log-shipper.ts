/**
 * Ships a host's log lines to the app log stream (JetStream `PAAS_APP_LOGS`), like
 * Heroku's log-shuttle: one bounded queue per process, served round-robin, so a process
 * that floods its output cannot delay another process's lines nor grow the agent's
 * memory, and at most 5,000 lines per second per process (bursts of 10,000) go out.
 * When a process's queue is full or it is over its rate, its newest lines are dropped
 * and counted, and once a second while that lasts (and when its queue drains) an
 * `Error L12 (Local buffer overflow)` line says how many were lost, as Heroku says it.
 *
 * Lines go out as core NATS publishes (the stream captures their subject), and after
 * every `maxInFlight` of them the shipper waits for the server's answer to a flush: the
 * back-pressure, so lines wait in the bounded queues, not in the NATS client's buffer.
 * A JetStream publish per line, acked, costs several times the CPU, which a flood
 * takes from every other process's lines on the host. One connection sends in order,
 * so each process's lines are stored in the order it wrote them.
 */
import { JSONCodec, type NatsConnection } from 'nats';
import { errorMessage, subjects, type AppLogLine, type Logger } from '../shared';

const codec = JSONCodec<AppLogLine>();

export interface LogShipperOptions {
  /** Lines held per process before its newest are dropped (default 2,000). */
  maxQueuedPerProcess?: number;
  /**
   * Lines per second one process may send, in bursts of twice that (default 5,000): a
   * process writing faster has the rest dropped and said (L12), so one flood costs the
   * host, NATS and the stream a known amount, whatever it writes.
   */
  linesPerSecond?: number;
  /** Lines sent before waiting for the server's flush answer (default 256). */
  maxInFlight?: number;
}

interface ProcessQueue {
  lines: AppLogLine[];
  dropped: number;
  droppedSince?: string;
  /** When the current run of drops began (ms), for the notice every second. */
  droppingSince: number;
  /** The process's identity, for the L12 line. */
  last: AppLogLine;
  /** Its token bucket: lines it may still send now, as of `refilledAt`. */
  tokens: number;
  refilledAt: number;
  noticeTimer?: NodeJS.Timeout;
}

export function overflowLine(dropped: number, since: string): string {
  return `Error L12 (Local buffer overflow): ${dropped} messages dropped since ${since}`;
}

export class LogShipper {
  private readonly queues = new Map<string, ProcessQueue>();
  /** Keys with queued lines, in round-robin order. */
  private readonly ready: string[] = [];
  private inFlight = 0;
  private wake?: () => void;
  private closed = false;
  private idle?: () => void;
  private readonly maxQueued: number;
  private readonly rate: number;
  private sweptAt = Date.now();
  private readonly maxInFlight: number;
  private readonly loop: Promise<void>;
  /** Totals since start, for tests and benchmarks. */
  readonly counters = { shipped: 0, dropped: 0, failed: 0 };

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    o: LogShipperOptions = {},
  ) {
    this.maxQueued = o.maxQueuedPerProcess ?? 2_000;
    this.rate = o.linesPerSecond ?? 5_000;
    this.maxInFlight = o.maxInFlight ?? 256;
    this.loop = this.run();
  }

  /**
   * Queues one line of process `key` (its job id). The platform's own lines (source
   * paas) are never dropped: they are few, and they say what happened to the process.
   */
  ship(key: string, line: AppLogLine): void {
    if (this.closed) return;
    let q = this.queues.get(key);
    if (!q) {
      q = { lines: [], dropped: 0, droppingSince: 0, last: line, tokens: 2 * this.rate, refilledAt: Date.now() };
      this.queues.set(key, q);
      this.sweep();
    }
    q.last = line;
    if (line.source !== 'paas') {
      if (q.lines.length >= this.maxQueued || !this.take(q)) return this.drop(key, q, 1, line.time);
    }
    if (q.lines.length === 0) this.ready.push(key);
    q.lines.push(line);
    this.wake?.();
  }

  /** False while the process is over its rate: its output need not even be parsed. */
  accepting(key: string): boolean {
    const q = this.queues.get(key);
    if (!q) return true;
    this.refill(q);
    return q.tokens >= 1;
  }

  /**
   * True while the process's queue is half full: more of its lines should wait where
   * they are (its log file). Half, so that a bite read before the answer changes fits.
   */
  full(key: string): boolean {
    return (this.queues.get(key)?.lines.length ?? 0) >= this.maxQueued / 2;
  }

  private refill(q: ProcessQueue): void {
    const now = Date.now();
    q.tokens = Math.min(2 * this.rate, q.tokens + ((now - q.refilledAt) * this.rate) / 1000);
    q.refilledAt = now;
  }

  private take(q: ProcessQueue): boolean {
    if (q.tokens < 1) this.refill(q);
    if (q.tokens < 1) return false;
    q.tokens--;
    return true;
  }

  /** Forgets processes idle for a minute (their bucket is full again by then). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [key, q] of this.queues) if (q.lines.length === 0 && q.dropped === 0 && now - q.refilledAt > 60_000) this.queues.delete(key);
  }

  /** Lines of the process passed over unread while it was not accepting: dropped. */
  skipped(key: string, lines: number): void {
    const q = this.queues.get(key);
    if (!q || lines <= 0) return;
    this.drop(key, q, lines, new Date().toISOString());
  }

  /** Resolves once every queued line has been stored (or failed). */
  async drained(): Promise<void> {
    while (this.ready.length > 0 || this.inFlight > 0) await new Promise<void>((r) => (this.idle = r));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop;
  }

  private next(): AppLogLine | undefined {
    const key = this.ready.shift();
    if (key === undefined) return undefined;
    const q = this.queues.get(key)!;
    const line = q.lines.shift()!;
    // The overflow notice goes right after the lines that made it through.
    if (q.lines.length === 0 && q.dropped > 0) q.lines.push(this.notice(q));
    // An empty queue stays (its rate bucket) until sweep() finds it idle.
    if (q.lines.length > 0) this.ready.push(key);
    return line;
  }

  private drop(key: string, q: ProcessQueue, lines: number, time: string): void {
    if (q.dropped === 0) {
      q.droppedSince = time;
      q.droppingSince = Date.now();
    }
    q.dropped += lines;
    this.counters.dropped += lines;
    // A flood that never lets the queue drain still hears of its losses, once a second.
    if (Date.now() - q.droppingSince >= 1_000) return this.say(key, q);
    // With nothing queued, no drain will say them: a timer does, unless a line did first.
    if (q.lines.length === 0 && !q.noticeTimer) {
      q.noticeTimer = setTimeout(() => {
        q.noticeTimer = undefined;
        if (q.dropped > 0 && this.queues.get(key) === q && !this.closed) this.say(key, q);
      }, 1_000);
      q.noticeTimer.unref();
    }
  }

  private say(key: string, q: ProcessQueue): void {
    q.lines.push(this.notice(q));
    if (q.lines.length === 1) {
      this.ready.push(key);
      this.wake?.();
    }
  }

  /** The L12 line for what the queue dropped so far; the count starts again. */
  private notice(q: ProcessQueue): AppLogLine {
    const l: AppLogLine = { ...q.last, source: 'paas', stream: 'stderr', time: new Date().toISOString(), line: overflowLine(q.dropped, q.droppedSince!) };
    q.dropped = 0;
    return l;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const line = this.next();
      if (!line) {
        if (this.inFlight > 0) await this.flush();
        this.idle?.();
        if (this.ready.length === 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
        continue;
      }
      try {
        this.nc.publish(subjects.appLog.name(line.app), codec.encode(line));
        this.inFlight++;
        this.counters.shipped++;
      } catch (err) {
        // NATS closed: the line is lost; the host's files keep the output.
        this.counters.failed++;
        if (this.counters.failed % 1000 === 1) this.log.warn('log lines not sent', { err: errorMessage(err), failed: this.counters.failed });
      }
      if (this.inFlight >= this.maxInFlight) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    this.inFlight = 0;
    await this.nc.flush().catch((err: unknown) => {
      this.counters.failed++;
      this.log.debug('log flush failed', { err: errorMessage(err) });
    });
  }
}
