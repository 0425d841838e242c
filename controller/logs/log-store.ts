/**
 * Every app's recent log lines, kept by NATS JetStream like Heroku's Logplex keeps
 * them: one stream captures what hosts and routers publish on `paas.engine.log.<app>`
 * (app output, the platform's state lines, router lines), at most `linesPerApp` per
 * app (the oldest go first), on disk in the NATS server's store, so they survive a
 * restart of the controller (and of NATS). A noisy app only pushes out its own lines:
 * the limit is per subject, so per app.
 */
import { DeliverPolicy, DiscardPolicy, JSONCodec, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { errorMessage, subjects, type AppLogLine, type Logger } from '../../shared';
import { ensureStream, readStored } from '../jetstream-streams';

export const LOG_STREAM = 'PAAS_APP_LOGS';
/** Heroku's Logplex keeps 1,500 lines per app. */
export const DEFAULT_LINES_PER_APP = 1_500;

const codec = JSONCodec<AppLogLine>();

export interface LogFilter {
  /** `web.1`: that process; `web`: every process of that type. */
  dyno?: string;
  source?: 'app' | 'paas';
}

export function matches(l: AppLogLine, f: LogFilter): boolean {
  if (f.source && (l.source ?? 'app') !== f.source) return false;
  if (f.dyno) {
    const name = l.dyno ?? l.jobId;
    if (f.dyno.includes('.') ? name !== f.dyno : name !== f.dyno && !name.startsWith(`${f.dyno}.`)) return false;
  }
  return true;
}

export class LogStore {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** Creates the stream, or brings an existing one to this configuration. */
  static async open(nc: NatsConnection, log: Logger, linesPerApp = DEFAULT_LINES_PER_APP): Promise<LogStore> {
    const config = {
      name: LOG_STREAM,
      subjects: [subjects.appLog.name('*')],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: linesPerApp,
      // Lines of apps that stopped logging long ago (destroyed ones are purged at once).
      max_age: 30 * 24 * 3600 * 1e9,
      // Hosts split lines at 10,000 bytes; JSON can escape a control character in 6 bytes,
      // so even such a line with its envelope stays below this.
      max_msg_size: 128 * 1024,
    };
    await ensureStream(nc, config);
    return new LogStore(nc, log);
  }

  /** Deletes every stored line of the app (it was destroyed). */
  async purge(app: string): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.streams.purge(LOG_STREAM, { filter: subjects.appLog.name(app) });
  }

  /**
   * Moves the app's stored lines to its new name (`paas apps:rename`): each is stored
   * again under `to`, oldest first and with its own time, then `from` is purged, so
   * `paas logs` keeps the history and an app later created as `from` starts with none.
   * Returns how many lines moved.
   */
  async move(from: string, to: string): Promise<number> {
    const { messages } = await readStored(this.nc, LOG_STREAM, subjects.appLog.name(from), { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    const js = this.nc.jetstream();
    let moved = 0;
    for (const m of messages) {
      const line = this.decode(m.data);
      if (!line) continue;
      await js.publish(subjects.appLog.name(to), codec.encode({ ...line, app: to }));
      moved++;
    }
    await this.purge(from);
    return moved;
  }

  /**
   * The app's last `n` lines that pass `filter`, oldest first, and the stream position
   * of the last line of the app read (filtered out or not): where a tail goes on.
   */
  async recent(app: string, n: number, filter: LogFilter = {}): Promise<{ lines: AppLogLine[]; lastSeq: number }> {
    // (nats.js's ordered consumer always sends a start sequence, so "all" is "from 1".)
    const { messages, lastSeq } = await readStored(this.nc, LOG_STREAM, subjects.appLog.name(app), { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 1 });
    const out: AppLogLine[] = [];
    for (const m of messages) {
      const line = this.decode(m.data);
      if (line && matches(line, filter)) out.push(line);
    }
    return { lines: n > 0 ? out.slice(-n) : [], lastSeq };
  }

  /**
   * Calls `onLine` for every line of the app stored after `afterSeq` (recent()'s
   * `lastSeq`) that passes `filter`,
   * as it arrives, until `signal` aborts.
   */
  async follow(app: string, afterSeq: number, filter: LogFilter, onLine: (l: AppLogLine) => void, signal: AbortSignal): Promise<void> {
    const consumer = await this.nc.jetstream().consumers.get(LOG_STREAM, {
      filterSubjects: subjects.appLog.name(app),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
    });
    const messages = await consumer.consume({ max_messages: 256 });
    const stop = (): void => void messages.close().catch(() => undefined);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of messages) {
        const line = this.decode(m.data);
        if (line && matches(line, filter)) onLine(line);
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private decode(data: Uint8Array): AppLogLine | undefined {
    try {
      return codec.decode(data);
    } catch (err) {
      this.log.debug('a stored log line is not JSON', { err: errorMessage(err) });
      return undefined;
    }
  }
}
