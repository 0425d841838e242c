/**
 * NATS helpers: connect with retry, publish and subscribe with a schema, request/reply
 * with typed errors. Every component talks to NATS only through these.
 */
import { connect, JSONCodec, type NatsConnection, type Subscription } from 'nats';
import type { z } from 'zod';
import { InvalidInputError, PaasError, UnavailableError } from './errors';
import type { Logger } from './log';

const codec = JSONCodec<unknown>();

let configuredReplicas: number | undefined;

/** The node's PAAS_NATS_REPLICAS as its configuration (file or environment) gives it. */
export function useJetStreamReplicas(n: number): void {
  configuredReplicas = n;
}

/**
 * How many nats-servers keep each JetStream stream and key-value bucket paas makes (app
 * logs, metrics, the scheduler's and drains' leases): 1 on a single server, 3 on a
 * cluster of three or more, so the loss of one server loses nothing and stops nothing.
 * Set by PAAS_NATS_REPLICAS (1–5, in the node's configuration, else the environment); a
 * stream made before is brought to it at start.
 */
export function jetStreamReplicas(env: NodeJS.ProcessEnv = process.env): number {
  if (configuredReplicas !== undefined) return configuredReplicas;
  const raw = env.PAAS_NATS_REPLICAS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidInputError(`PAAS_NATS_REPLICAS must be a whole number from 1 to 5 (3 for a cluster of three nats-servers), not ${JSON.stringify(raw)}.`);
  return n;
}

export async function connectNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    timeout: 10_000,
  });
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') log.info(`nats ${s.type}`, { server: String(s.data) });
    }
  })();
  return nc;
}

export function publish<S extends z.ZodTypeAny>(nc: NatsConnection, subject: string, schema: S, value: z.infer<S>): void {
  nc.publish(subject, codec.encode(schema.parse(value)));
}

/**
 * Subscribes and hands every valid message to `handler`, one at a time. Invalid
 * messages and handler failures are logged and skipped; they never stop the loop.
 */
export function subscribe<S extends z.ZodTypeAny>(
  nc: NatsConnection,
  subject: string,
  schema: S,
  log: Logger,
  handler: (value: z.infer<S>, reply: (value: unknown) => void) => Promise<void> | void,
  options: { queue?: string } = {},
): Subscription {
  const sub = nc.subscribe(subject, { queue: options.queue });
  void (async () => {
    for await (const msg of sub) {
      const respond = (value: unknown): void => {
        if (msg.reply) msg.respond(codec.encode(value));
      };
      let value: z.infer<S>;
      try {
        value = schema.parse(codec.decode(msg.data));
      } catch (err) {
        log.warn('invalid message', { subject: msg.subject, err });
        respond({ error: { code: 'invalid_message', message: `invalid message on ${msg.subject}` } });
        continue;
      }
      try {
        await handler(value, respond);
      } catch (err) {
        log.error('handler failed', { subject: msg.subject, err });
        const code = err instanceof PaasError ? err.code : 'internal';
        respond({ error: { code, message: err instanceof Error ? err.message : String(err) } });
      }
    }
  })();
  return sub;
}

/** Request/reply with a timeout; a reply of the `{error}` shape becomes a thrown PaasError. */
export async function request<T>(
  nc: NatsConnection,
  subject: string,
  value: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  let data: unknown;
  try {
    const msg = await nc.request(subject, codec.encode(value), { timeout: timeoutMs });
    data = codec.decode(msg.data);
  } catch (err) {
    throw new UnavailableError(`no answer on ${subject}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  if (data && typeof data === 'object' && 'error' in data) {
    const e = (data as { error: { code: string; message: string } }).error;
    throw new PaasError(e.code, e.message, { status: 502 });
  }
  return data as T;
}
