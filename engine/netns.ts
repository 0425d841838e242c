/**
 * A container's network: a named network namespace (ip netns) and, in bridge mode, a
 * veth pair with one end on the host bridge and the other as eth0 in the namespace,
 * with the container's address and a default route via the bridge. In none mode the
 * namespace has only lo. Host mode uses no namespace at all.
 *
 * Setup is on every container's start path, so it costs two `ip -batch` processes
 * (host side, then namespace side) instead of one `ip` per step: ~11 spawns before.
 */
import { exec, execRaw } from './exec';
import { ipToInt } from './cidr';

export interface NetNames {
  /** ip netns name, e.g. paas-1a2b3c4d5e */
  netns: string;
  /** host side of the veth pair, e.g. pv1a2b3c4d5e (max 15 characters) */
  hostVeth: string;
  /** container side before it is renamed eth0 inside the namespace (older layouts) */
  peerVeth: string;
}

export function netNames(short: string): NetNames {
  return { netns: `paas-${short}`, hostVeth: `pv${short}`, peerVeth: `pc${short}` };
}

export function netnsPath(netns: string): string {
  return `/run/netns/${netns}`;
}

/**
 * Docker's scheme: 02:42 followed by the IPv4 address. Addresses are reused (lowest
 * free first), and a reused address that came with a new random MAC would leave the
 * host's neighbour cache pointing at the old one for seconds: with this it cannot.
 */
export function macForIp(ip: string): string {
  const n = ipToInt(ip);
  const bytes = [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) % 256).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}

export interface BridgeAttachment {
  bridge: string;
  ip: string;
  prefix: number;
  gateway: string;
}

/** `ip -batch` input run in the host namespace: the namespace, the veth pair (eth0 made inside it), the bridge port. */
export function hostSideBatch(names: NetNames, a: BridgeAttachment): string {
  return [
    `netns add ${names.netns}`,
    `link add ${names.hostVeth} type veth peer name eth0 address ${macForIp(a.ip)} netns ${names.netns}`,
    `link set dev ${names.hostVeth} master ${a.bridge} up`,
    '',
  ].join('\n');
}

/**
 * `ip -n <netns> -batch` input: lo, the address, the default route. eth0 gets no IPv6
 * link-local address (addrgenmode none, before it goes up): the bridge would switch
 * IPv6 between containers past the IPv4 isolation rules, and an app listening on ::
 * (Node's default) would be open to every neighbour (isolation-rules.ts). Containers
 * cannot add one back without CAP_NET_ADMIN.
 */
export function containerSideBatch(a: BridgeAttachment): string {
  return ['link set lo up', `addr add ${a.ip}/${a.prefix} dev eth0`, 'link set dev eth0 addrgenmode none', 'link set eth0 up', `route add default via ${a.gateway}`, ''].join('\n');
}

/** A namespace with lo up (none mode). */
export async function createNetns(netns: string): Promise<void> {
  await exec('ip', ['netns', 'add', netns]);
  await exec('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
}

/** Bridge mode: namespace, veth pair, address and route; fails if any of it already exists. */
export async function createBridgedNetns(names: NetNames, a: BridgeAttachment): Promise<void> {
  await exec('ip', ['-batch', '-'], { input: hostSideBatch(names, a) });
  await exec('ip', ['-n', names.netns, '-batch', '-'], { input: containerSideBatch(a) });
}

/**
 * Removes whatever exists of a container's network in one process; missing pieces are
 * fine (`-force` goes on after an error). Deleting the host end removes the pair at
 * once; deleting the namespace alone would leave that to the kernel's async cleanup.
 */
export async function teardownNetwork(n: { netns?: string; hostVeth?: string }): Promise<void> {
  const lines: string[] = [];
  if (n.hostVeth) lines.push(`link del dev ${n.hostVeth}`);
  if (n.netns) lines.push(`netns del ${n.netns}`);
  if (lines.length > 0) await execRaw('ip', ['-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
}
