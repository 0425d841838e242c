/**
 * An engine host and nothing else (`paas host`): a node with the host role only
 * (node.ts): the engine, its operator API (unix socket) and the agent, on the cluster's
 * NATS (NATS_URL, required). It builds nothing and serves no API: the control plane's
 * scheduler places jobs on it, and images it lacks are pulled from the cluster's
 * registry (PAAS_REGISTRY_TOKEN is its credential). Containers keep running when it
 * stops; the next start with the same data dir re-adopts them.
 */
import type { AgentHandle, EngineApi } from '../engine';
import type { Logger, PaasConfig } from '../shared';
import { startNode, type NodeStartOptions } from './node';

export interface EngineHost {
  engine: EngineApi;
  agent: AgentHandle;
  /** Where routers and other hosts reach this host's containers (heartbeats carry it). */
  address: string;
  /** The containers' subnet (CIDR): the route other nodes need is `subnet via address`. */
  subnet: string;
  stop(): Promise<void>;
}

export async function startEngineHost(config: PaasConfig, log: Logger, options: NodeStartOptions = {}): Promise<EngineHost> {
  const node = await startNode({ ...config, roles: ['host'] }, log, options);
  if (!node.engine || !node.host) {
    await node.stop();
    throw new Error('a host node started without its engine or agent');
  }
  return { engine: node.engine, agent: node.host.agent, address: node.host.address, subnet: node.host.subnet, stop: node.stop };
}
