/**
 * An engine host and nothing else (`paas host`): the engine, its operator API (unix
 * socket) and the agent, on the cluster's NATS (NATS_URL, required). It builds nothing
 * and serves no API: the control plane's scheduler places jobs on it, and images it
 * lacks are pulled from the cluster's registry (PAAS_REGISTRY_TOKEN is its credential).
 * Containers keep running when it stops; the next start with the same data dir
 * re-adopts them.
 */
import fs from 'node:fs';
import { setPullCredentials, type AgentHandle, type EngineApi, type RegistryCredentials } from '../engine';
import { connectNats, errorMessage, InvalidInputError, type Logger, type PaasConfig } from '../shared';
import { openHostEngine, startHostAgent, type StopSteps } from './host-engine';

export interface EngineHost {
  engine: EngineApi;
  agent: AgentHandle;
  /** Where routers and other hosts reach this host's containers (heartbeats carry it). */
  address: string;
  /** The containers' subnet (CIDR): the route other nodes need is `subnet via address`. */
  subnet: string;
  stop(): Promise<void>;
}

/** The registry credential of a node: the embedded registry accepts any user name and its token. */
export function registryCredentials(token: string | undefined): RegistryCredentials | undefined {
  return token ? { username: 'paas', password: token } : undefined;
}

export async function startEngineHost(config: PaasConfig, log: Logger): Promise<EngineHost> {
  if (!config.natsUrl) {
    throw new InvalidInputError('paas host joins a cluster: set NATS_URL to the control plane\'s NATS (e.g. nats://10.0.0.1:4222).', 'bad_config');
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const stops: StopSteps = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn('stop step failed', { err: errorMessage(err) }));
  };
  try {
    const nc = await connectNats(config.natsUrl, `paas-host-${config.hostId}`, log.child('nats'));
    stops.push(async () => void (await nc.drain()));
    const engine = await openHostEngine(config, stops, log);
    setPullCredentials(engine, registryCredentials(config.registryToken));
    const { agent, address, subnet } = startHostAgent(config, engine, nc, stops, log);
    return { engine, agent, address, subnet, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
