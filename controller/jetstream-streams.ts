/**
 * What the controller's JetStream stores (app logs, metrics) share: making their stream
 * at start, and reading what one holds under a subject filter.
 */
import type { JsMsg, NatsConnection, OrderedConsumerOptions, StreamConfig } from 'nats';

/** Creates the stream, or brings an existing one to this configuration. */
export async function ensureStream(nc: NatsConnection, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const exists = await jsm.streams.info(config.name).then(
    () => true,
    () => false,
  );
  if (exists) await jsm.streams.update(config.name, config);
  else await jsm.streams.add(config);
}

/**
 * The messages the stream holds under `filter` from `start`, oldest first, read with one
 * ordered consumer. At most as many as the filter held when asked: lines arriving
 * meanwhile (a flood) cannot make the read endless. `lastSeq` is the stream position
 * of the last message read, or the stream's last when the filter holds none (where a
 * follower goes on).
 */
export async function readStored(nc: NatsConnection, stream: string, filter: string, start: Partial<OrderedConsumerOptions>): Promise<{ messages: JsMsg[]; lastSeq: number }> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(stream, { subjects_filter: filter });
  const stored = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (stored === 0) return { messages: [], lastSeq: info.state.last_seq };
  const consumer = await nc.jetstream().consumers.get(stream, { filterSubjects: filter, ...start });
  const messages: JsMsg[] = [];
  let lastSeq = 0;
  // A start later than the oldest stored makes fewer than `stored`: pending 0 ends it then.
  for await (const m of await consumer.fetch({ max_messages: stored, expires: 1_000 })) {
    messages.push(m);
    lastSeq = m.seq;
    if (messages.length >= stored || m.info.pending === 0) break;
  }
  return { messages, lastSeq };
}
