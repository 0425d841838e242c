/**
 * What the controller's JetStream stores (app logs, metrics) share: making their stream
 * at start, and reading what one holds under a subject filter.
 */
import type { ConsumerMessages, JsMsg, NatsConnection, OrderedConsumerOptions, StreamConfig } from 'nats';
import { jetStreamReplicas, UnavailableError } from '../shared';

/** Creates the stream, or brings an existing one to this configuration (replicas included). */
export async function ensureStream(nc: NatsConnection, wanted: Partial<StreamConfig> & { name: string }): Promise<void> {
  const config = { num_replicas: jetStreamReplicas(), ...wanted };
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
  // While a NATS cluster moves a stream or its meta leader to another server (one was
  // lost), asks can go unanswered and an ordered consumer retries for minutes: the read
  // is bounded, and the caller told to try again.
  let late = false;
  let fetched: ConsumerMessages | undefined;
  const read = async (): Promise<{ messages: JsMsg[]; lastSeq: number }> => {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream, { subjects_filter: filter });
    const stored = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    if (stored === 0) return { messages: [], lastSeq: info.state.last_seq };
    const consumer = await nc.jetstream().consumers.get(stream, { filterSubjects: filter, ...start });
    const messages: JsMsg[] = [];
    let lastSeq = 0;
    fetched = await consumer.fetch({ max_messages: stored, expires: 1_000 });
    if (late) fetched.stop();
    // A start later than the oldest stored makes fewer than `stored`: pending 0 ends it then.
    for await (const m of fetched) {
      messages.push(m);
      lastSeq = m.seq;
      if (messages.length >= stored || m.info.pending === 0) break;
    }
    return { messages, lastSeq };
  };
  let timer: NodeJS.Timeout | undefined;
  const tooLate = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      fetched?.stop();
      reject(new UnavailableError(`NATS JetStream did not answer in time (stream ${stream}; a NATS server may be restarting). Try again in a moment.`));
    }, READ_TIMEOUT_MS);
  });
  const work = read();
  work.catch(() => undefined); // lost to the timeout: its end matters to no one
  try {
    return await Promise.race([work, tooLate]);
  } finally {
    clearTimeout(timer);
  }
}

const READ_TIMEOUT_MS = 10_000;
