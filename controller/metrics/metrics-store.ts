/**
 * The last hour of every app's metrics, kept by NATS JetStream (`PAAS_METRICS`): hosts
 * publish their processes' samples, routers their request counts, both every 10 s;
 * the stream keeps 65 minutes of them on disk, so any controller (and one that just
 * restarted) answers `paas ps` and `paas metrics` from the same data.
 */
import { DeliverPolicy, DiscardPolicy, JSONCodec, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { errorMessage, metricMessage, metricSubjects, type DynoSample, type Logger, type MetricMessage } from '../../shared';
import { ensureStream, readStored } from '../jetstream-streams';

export const METRICS_STREAM = 'PAAS_METRICS';
const KEEP_MINUTES = 65;
const codec = JSONCodec<unknown>();

export class MetricsStore {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<MetricsStore> {
    await ensureStream(nc, {
      name: METRICS_STREAM,
      subjects: [metricSubjects.all],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: KEEP_MINUTES * 60 * 1e9,
      // An hour of 10 s samples per process or router, with room for faster intervals.
      max_msgs_per_subject: 2_000,
      max_msg_size: 64 * 1024,
    });
    return new MetricsStore(nc, log);
  }

  /** Each process's newest sample of the last two minutes, by job id. */
  async latestDynos(app: string): Promise<Map<string, DynoSample>> {
    const out = new Map<string, DynoSample>();
    const recent = Date.now() - 2 * 60_000;
    for (const m of await this.read(metricSubjects.dynos(app), { deliver_policy: DeliverPolicy.LastPerSubject })) {
      if (m.kind === 'dyno' && Date.parse(m.time) >= recent) out.set(m.jobId, m);
    }
    return out;
  }

  /** Everything about the app published in the last `minutes`, oldest first. */
  async since(app: string, minutes: number): Promise<MetricMessage[]> {
    return this.read(metricSubjects.app(app), { opt_start_time: new Date(Date.now() - minutes * 60_000).toISOString() });
  }

  async purge(app: string): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await jsm.streams.purge(METRICS_STREAM, { filter: metricSubjects.app(app) });
  }

  private async read(filter: string, start: { deliver_policy?: DeliverPolicy; opt_start_time?: string }): Promise<MetricMessage[]> {
    const out: MetricMessage[] = [];
    for (const m of (await readStored(this.nc, METRICS_STREAM, filter, start)).messages) {
      try {
        const parsed = metricMessage.safeParse(codec.decode(m.data));
        if (parsed.success) out.push(parsed.data);
      } catch (err) {
        this.log.debug('a stored metric is not JSON', { err: errorMessage(err) });
      }
    }
    return out;
  }
}
