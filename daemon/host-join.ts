/**
 * `paas host:join <nats-url> --token T` on a new machine: asks the control plane over
 * NATS to admit it (controller/join/join-service.ts) and writes what it answers into the
 * node's one configuration file. Nothing is written unless the controller accepted the
 * token; every failure says what to do.
 */
import fs from 'node:fs';
import net from 'node:net';
import { connect } from 'nats';
import { DEFAULT_CONFIG_FILE, defaultHostId, hostJoinReply, InvalidInputError, PaasError, readConfigFile, request, subjects, UnavailableError, writeConfigValues, type HostJoinReply } from '../shared';

export interface JoinOptions {
  natsUrl: string;
  token: string;
  /** Default: the configuration file's PAAS_HOST_ID, else the machine's host name. */
  hostId?: string;
  /** Default: the address this machine reaches NATS from. */
  address?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface JoinResult {
  reply: HostJoinReply;
  /** The configuration file written. */
  file: string;
  /** What was written to it (the registry token masked). */
  values: Record<string, string>;
}

/** The first NATS server's host and port (nats://host:port, host:port, host). */
export function natsEndpoint(natsUrl: string): { host: string; port: number } {
  const first = natsUrl.split(',')[0]!.trim();
  const m = /^(?:nats:\/\/)?(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(first);
  if (!m) throw new InvalidInputError(`${natsUrl} is not a NATS address; it looks like nats://10.0.0.1:4222 (the control plane's NATS_URL).`, 'bad_nats_url');
  return { host: m[1]!, port: m[2] ? Number(m[2]) : 4222 };
}

/** The address this machine reaches NATS from: the one other nodes can reach it at on the same network. */
function localAddressToward(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => {
      const addr = s.localAddress?.replace(/^::ffff:/, '') ?? '';
      s.destroy();
      resolve(addr);
    });
    s.once('timeout', () => {
      s.destroy();
      reject(new Error('timed out'));
    });
    s.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code ?? err.message)));
  });
}

export async function joinCluster(o: JoinOptions): Promise<JoinResult> {
  const env = o.env ?? process.env;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const file = env.PAAS_CONFIG_FILE || DEFAULT_CONFIG_FILE;
  const existing = (fs.existsSync(file) ? readConfigFile({ PAAS_CONFIG_FILE: file }) : undefined)?.values ?? {};
  const { host, port } = natsEndpoint(o.natsUrl);
  const nothing = 'Nothing was written.';
  let address = o.address;
  try {
    const seen = await localAddressToward(host, port, timeoutMs);
    address ??= seen;
  } catch (err) {
    throw new UnavailableError(
      `Cannot reach NATS at ${host}:${port} (${(err as Error).message}). Check the address (the control plane's NATS_URL, as \`paas hosts:join-token\` prints it) and that this machine can reach that port. ${nothing}`,
    );
  }
  if (!net.isIPv4(address)) throw new InvalidInputError(`This machine reaches NATS from ${address}, not an IPv4 address; give the address other nodes reach it at with --address. ${nothing}`, 'bad_address');
  const hostId = o.hostId ?? existing.PAAS_HOST_ID ?? defaultHostId();
  if (!subjects.hostJoin.schema.shape.hostId.safeParse(hostId).success) {
    throw new InvalidInputError(`${JSON.stringify(hostId)} cannot be a host id: lowercase letters, digits and dashes, at most 31. Give one with --host-id. ${nothing}`, 'bad_host_id');
  }
  const nc = await connect({ servers: o.natsUrl.split(','), name: `paas-join-${hostId}`, timeout: timeoutMs, maxReconnectAttempts: 0 }).catch((err: unknown) => {
    throw new UnavailableError(`${host}:${port} answers, but not as NATS (${(err as Error).message}). Check the address and port. ${nothing}`);
  });
  let reply: HostJoinReply;
  try {
    const raw = await request<unknown>(nc, subjects.hostJoin.name, subjects.hostJoin.schema.parse({ token: o.token, hostId, address }), timeoutMs);
    reply = parseReply(raw);
  } catch (err) {
    if (err instanceof UnavailableError) {
      throw new UnavailableError(`NATS at ${host}:${port} is up, but no controller answered. Is the control plane running (paas node with the controller role, or paas up)? ${nothing}`);
    }
    if (err instanceof PaasError) throw new PaasError(err.code, `${err.message} ${nothing}`, { status: err.status });
    throw err;
  } finally {
    await nc.close().catch(() => undefined);
  }
  const values: Record<string, string> = {
    NATS_URL: reply.natsUrl ?? o.natsUrl,
    PAAS_HOST_ID: reply.hostId,
    PAAS_HOST_ADDRESS: address,
    PAAS_BRIDGE_CIDR: reply.bridgeCidr,
    ...(reply.registryUrl ? { PAAS_REGISTRY_URL: reply.registryUrl } : {}),
    ...(reply.registryToken ? { PAAS_REGISTRY_TOKEN: reply.registryToken } : {}),
    ...(reply.registryUser ? { PAAS_REGISTRY_USER: reply.registryUser } : {}),
    ...(reply.insecureRegistries ? { PAAS_INSECURE_REGISTRIES: reply.insecureRegistries } : {}),
    ...(reply.nodeCidr ? { PAAS_NODE_CIDR: reply.nodeCidr } : {}),
  };
  writeConfigValues(file, values, `Set by paas host:join at ${new Date().toISOString()}`);
  return { reply, file, values: { ...values, ...(values.PAAS_REGISTRY_TOKEN ? { PAAS_REGISTRY_TOKEN: '(hidden)' } : {}) } };
}

function parseReply(raw: unknown): HostJoinReply {
  const parsed = hostJoinReply.safeParse(raw);
  if (!parsed.success) throw new PaasError('bad_join_reply', 'The controller answered something this paas does not understand; do the control plane and this machine run the same paas version?');
  return parsed.data;
}
