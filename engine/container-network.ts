/**
 * Brings a container's network up for its mode before start, and down after it stops:
 * namespace, veth and published ports. Setup is on the start path and costs two `ip`
 * processes (plus two iptables ones, in parallel, when ports are published). Teardown
 * is not: the lifecycle runs networkDown in the background after a stop
 * (lifecycle-teardown.ts); a start of the same container waits for a teardown still in
 * flight, and networkSettled() for all of them.
 */
import type { Cidr } from './cidr';
import type { ContainerRecord } from './container-state';
import { exec } from './exec';
import { createBridgedNetns, createNetns, netnsPath, teardownNetwork, type NetNames } from './netns';
import { portTag } from './ports-rules';
import { publishPorts, reconcilePorts, unpublishPorts } from './ports-publish';

export interface BridgeSettings {
  name: string;
  cidr: Cidr;
}

type NetRecord = Pick<ContainerRecord, 'id' | 'spec' | 'ip' | 'netns' | 'hostVeth'>;

/** Teardowns in flight, by netns name. */
const pending = new Map<string, Promise<void>>();
/** Namespaces this process knows are gone: a second networkDown (stop, then remove) costs nothing. */
const down = new Set<string>();

/** Names and path recorded at create: bridge and none modes get a namespace, host mode none. */
export function plannedNetwork(mode: string, names: NetNames): Pick<ContainerRecord, 'netns' | 'hostVeth'> & { path?: string } {
  if (mode === 'host') return {};
  if (mode === 'none') return { netns: names.netns, path: netnsPath(names.netns) };
  return { netns: names.netns, hostVeth: names.hostVeth, path: netnsPath(names.netns) };
}

function tagOf(record: NetRecord): string | undefined {
  return record.netns && record.ip ? portTag(record.id, record.netns) : undefined;
}

async function wire(record: NetRecord, names: NetNames, bridge: BridgeSettings): Promise<void> {
  const create = (): Promise<void> =>
    record.hostVeth && record.ip
      ? createBridgedNetns(names, { bridge: bridge.name, ip: record.ip, prefix: bridge.cidr.prefix, gateway: bridge.cidr.address })
      : createNetns(record.netns!);
  try {
    await create();
  } catch {
    // Leftovers (a crash between start and teardown): clear them and try once more.
    await teardownNetwork({ netns: record.netns, hostVeth: record.hostVeth });
    await create();
  }
}

export async function networkUp(record: NetRecord, names: NetNames, bridge: BridgeSettings): Promise<void> {
  if (!record.netns) return;
  await pending.get(record.netns);
  down.delete(record.netns);
  const tag = tagOf(record);
  const ports = record.spec.ports ?? [];
  // Independent of each other: run both, and report the first failure once both are done
  // (the caller then tears down whatever did get made).
  const results = await Promise.allSettled([
    wire(record, names, bridge),
    tag && record.ip && ports.length > 0 ? publishPorts(tag, record.ip, ports) : Promise.resolve(),
  ]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * Tears down veth, netns and published ports. The promise resolves when they are gone
 * and never rejects: failures go to `onError` (the log), since nobody waits on a
 * teardown in the background. A call while one is in flight joins it.
 */
export function networkDown(record: NetRecord, onError: (err: unknown) => void = () => undefined): Promise<void> {
  const netns = record.netns;
  if (!netns || down.has(netns)) return Promise.resolve();
  const inFlight = pending.get(netns);
  if (inFlight) return inFlight;
  const tag = tagOf(record);
  const hasPorts = (record.spec.ports ?? []).length > 0;
  const work = Promise.all([
    teardownNetwork({ netns, hostVeth: record.hostVeth }),
    tag && hasPorts ? unpublishPorts(tag) : Promise.resolve(),
  ])
    .then(() => {
      down.add(netns);
    })
    .catch(onError)
    .finally(() => pending.delete(netns));
  pending.set(netns, work);
  return work;
}

/** Resolves once every teardown started so far has finished (engine close, tests). */
export async function networkSettled(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending.values()]);
}

/**
 * At engine open: removes what a crash left behind. Host veths on our bridge that
 * belong to no container at all (a crash mid-remove; those of known containers are
 * cleared by their next start or their removal), and port rules into our subnet that
 * no running container owns, since those would keep host ports taken.
 */
export async function reconcileNetwork(
  bridge: BridgeSettings,
  records: readonly (NetRecord & Pick<ContainerRecord, 'state'>)[],
): Promise<{ veths: number; rules: number }> {
  const keepVeths = new Set(records.map((r) => r.hostVeth).filter((v): v is string => !!v));
  const keepTags = new Set(records.filter((r) => r.state === 'running').map(tagOf).filter((t): t is string => !!t));
  const out = await exec('ip', ['-o', 'link', 'show', 'master', bridge.name]);
  const stale = [...out.matchAll(/^\d+:\s+(pv[0-9a-f]{10})@/gm)].map((m) => m[1]!).filter((v) => !keepVeths.has(v));
  for (const veth of stale) await teardownNetwork({ hostVeth: veth, netns: `paas-${veth.slice(2)}` });
  const rules = await reconcilePorts(bridge.cidr, keepTags);
  return { veths: stale.length, rules };
}
