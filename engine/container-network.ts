/** Brings a container's network up for its mode before start, and down after it stops. */
import type { Cidr } from './cidr';
import type { ContainerRecord } from './container-state';
import { attachToBridge, createNetns, netnsPath, teardownNetwork, type NetNames } from './netns';

export interface BridgeSettings {
  name: string;
  cidr: Cidr;
}

/** Names and path recorded at create: bridge and none modes get a namespace, host mode none. */
export function plannedNetwork(mode: string, names: NetNames): Pick<ContainerRecord, 'netns' | 'hostVeth'> & { path?: string } {
  if (mode === 'host') return {};
  if (mode === 'none') return { netns: names.netns, path: netnsPath(names.netns) };
  return { netns: names.netns, hostVeth: names.hostVeth, path: netnsPath(names.netns) };
}

export async function networkUp(record: ContainerRecord, names: NetNames, bridge: BridgeSettings): Promise<void> {
  if (!record.netns) return;
  await createNetns(record.netns);
  if (record.hostVeth && record.ip) {
    await attachToBridge(names, { bridge: bridge.name, ip: record.ip, prefix: bridge.cidr.prefix, gateway: bridge.cidr.address });
  }
}

export async function networkDown(record: ContainerRecord): Promise<void> {
  await teardownNetwork({ netns: record.netns, hostVeth: record.hostVeth });
}
