/**
 * A container's network: a named network namespace (ip netns) and, in bridge mode, a
 * veth pair with one end on the host bridge and the other as eth0 in the namespace,
 * with the container's address and a default route via the bridge. In none mode the
 * namespace has only lo. Host mode uses no namespace at all.
 */
import { execRaw, exec } from './exec';

export interface NetNames {
  /** ip netns name, e.g. paas-1a2b3c4d5e */
  netns: string;
  /** host side of the veth pair, e.g. pv1a2b3c4d5e (max 15 characters) */
  hostVeth: string;
  /** container side before it is renamed eth0 inside the namespace */
  peerVeth: string;
}

export function netNames(short: string): NetNames {
  return { netns: `paas-${short}`, hostVeth: `pv${short}`, peerVeth: `pc${short}` };
}

export function netnsPath(netns: string): string {
  return `/run/netns/${netns}`;
}

/** A namespace with lo up (none mode, and the base of bridge mode). */
export async function createNetns(netns: string): Promise<void> {
  await teardownNetwork({ netns });
  await exec('ip', ['netns', 'add', netns]);
  await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

export interface BridgeAttachment {
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
}

export async function attachToBridge(names: NetNames, a: BridgeAttachment): Promise<void> {
  await execRaw('ip', ['link', 'del', 'dev', names.hostVeth]);
  await exec('ip', ['link', 'add', names.hostVeth, 'type', 'veth', 'peer', 'name', names.peerVeth]);
  await exec('ip', ['link', 'set', 'dev', names.hostVeth, 'master', a.bridge, 'up']);
  await exec('ip', ['link', 'set', 'dev', names.peerVeth, 'netns', names.netns]);
  const inNs = (...args: string[]): Promise<string> => exec('ip', ['-n', names.netns, ...args]);
  await inNs('link', 'set', 'dev', names.peerVeth, 'name', 'eth0');
  await inNs('addr', 'add', `${a.ip}/${a.prefix}`, 'dev', 'eth0');
  await inNs('link', 'set', 'dev', 'eth0', 'up');
  await inNs('route', 'add', 'default', 'via', a.gateway);
}

/** Removes whatever exists of a container's network; missing pieces are fine. */
export async function teardownNetwork(n: { netns?: string; hostVeth?: string }): Promise<void> {
  if (n.hostVeth) await execRaw('ip', ['link', 'del', 'dev', n.hostVeth]);
  if (n.netns) await execRaw('ip', ['netns', 'del', n.netns]);
}
