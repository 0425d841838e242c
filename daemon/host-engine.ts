/**
 * What every node that runs containers starts, `paas up` and `paas host` alike: the
 * engine with its operator API (a root-only unix socket), and the agent that offers the
 * engine's capacity to the scheduler over NATS. Each step adds its own stop to `stops`,
 * which the caller runs in reverse.
 */
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { openEngine, parseCidr, startAgent, startEngineApi, type AgentHandle, type EngineApi } from '../engine';
import type { Logger, PaasConfig } from '../shared';
import { registryPolicy } from './registry-token';

export type StopSteps = (() => Promise<void>)[];

export async function openHostEngine(config: PaasConfig, stops: StopSteps, log: Logger): Promise<EngineApi> {
  const engineDir = path.join(config.dataDir, 'engine');
  const engine = await openEngine(
    { dataDir: engineDir, runtime: config.runtime, bridgeName: config.bridgeName, bridgeCidr: config.bridgeCidr, debianMirror: config.debianMirror, routerPorts: [config.routerPort, config.routerHttpsPort], registries: registryPolicy(config) },
    log.child('engine'),
  );
  stops.push(() => engine.close());
  const engineApi = await startEngineApi(engine, engineDir, log.child('engine-api'));
  stops.push(() => engineApi.close());
  return engine;
}

export interface HostAgent {
  agent: AgentHandle;
  /** Where routers and other hosts reach this host's containers (heartbeats carry it). */
  address: string;
  /** The containers' subnet (CIDR): the route other nodes need is `subnet via address`. */
  subnet: string;
}

/** The hosts NATS_URL names (a comma-separated list of servers), loopback aside: control-plane nodes for the firewall. */
export function natsHosts(natsUrl: string | undefined): string[] {
  return (natsUrl ?? '')
    .split(',')
    .map((u) => /^(?:\w+:\/\/)?(?:[^@/]*@)?([^:/]+)/.exec(u.trim())?.[1])
    .filter((h): h is string => !!h && !h.startsWith('127.') && h !== 'localhost');
}

export function startHostAgent(config: PaasConfig, engine: EngineApi, nc: NatsConnection, stops: StopSteps, log: Logger): HostAgent {
  const address = config.hostAddress ?? engine.bridgeAddress;
  const subnet = parseCidr(config.bridgeCidr).subnet;
  // Nodes beyond the hosts (which heartbeats name): the operator's node networks and NATS's address.
  const controlPlane = [...config.nodeCidrs, ...natsHosts(config.natsUrl)];
  const agent = startAgent({ engine, nc, hostId: config.hostId, address, subnet, controlPlane, log: log.child('agent'), bootTimeoutMs: config.bootTimeoutMs, stopGraceMs: config.stopGraceMs, metricsIntervalMs: config.metricsIntervalMs, attachWaitMs: config.attachWaitMs, stateFile: path.join(config.dataDir, 'engine', 'agent-jobs.json') });
  stops.push(() => agent.stop());
  return { agent, address, subnet };
}
