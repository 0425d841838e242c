/**
 * Routed container subnets, kept by every node that must reach other hosts' containers
 * (hosts, routers): for each other host heard on NATS, `ip route replace <its subnet>
 * via <its address>`, and the route goes when an operator removes the host
 * (`paas hosts:remove`). A host merely silent keeps its route: it may come back, and a
 * NATS outage must not cut the data path between hosts.
 *
 * Only routes paas made are ever changed: they carry their own protocol and metric
 * (ROUTE_PROTO, ROUTE_METRIC), which is also the record of them across restarts. A
 * subnet that already has a route of someone else's (connected, or set by hand) is
 * left alone, and so are this node's own subnet and heartbeats from its own addresses.
 * Routes stay when the node stops, as its containers do.
 */
import type { NatsConnection } from 'nats';
import { exec, execRaw } from '../engine/exec';
import { coalesce, subjects, subscribe, type Logger } from '../shared';

/** iproute2's protocol and metric of paas's routes (unassigned in /etc/iproute2/rt_protos). */
export const ROUTE_PROTO = 157;
export const ROUTE_METRIC = 157;

export interface HostRoute {
  subnet: string;
  via: string;
}

export interface RoutePlanInput {
  /** Routes paas made (ROUTE_PROTO/ROUTE_METRIC), as the kernel has them now. */
  ours: HostRoute[];
  /** Destinations with a route that is not paas's (connected, by hand): never shadowed. */
  foreign: ReadonlySet<string>;
  /** This machine's addresses: a "host" at one of them is on this machine. */
  local: ReadonlySet<string>;
  /** This node's own container subnets. */
  own: ReadonlySet<string>;
  /** Other hosts as their latest heartbeats say, and whether an operator removed them. */
  hosts: { hostId: string; subnet: string; address: string; removed: boolean }[];
}

/** What to change so that the kernel routes every live host's subnet to it. Pure: the test's subject. */
export function planRoutes(input: RoutePlanInput): { replace: HostRoute[]; remove: HostRoute[] } {
  const wanted = new Map<string, string>();
  const dropped = new Set<string>(input.own);
  for (const h of [...input.hosts].sort((a, b) => a.hostId.localeCompare(b.hostId))) {
    if (h.removed) {
      dropped.add(h.subnet);
      continue;
    }
    if (input.own.has(h.subnet) || input.local.has(h.address) || input.foreign.has(h.subnet) || wanted.has(h.subnet)) continue;
    wanted.set(h.subnet, h.address);
  }
  const have = new Map(input.ours.map((r) => [r.subnet, r.via]));
  const replace = [...wanted].filter(([subnet, via]) => have.get(subnet) !== via).map(([subnet, via]) => ({ subnet, via }));
  const remove = input.ours.filter((r) => !wanted.has(r.subnet) && (dropped.has(r.subnet) || input.local.has(r.via)));
  return { replace, remove };
}

interface KernelRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
  metric?: number;
}

/** Reads the main table and this machine's addresses; the plan's inputs other than the hosts. */
async function kernelState(): Promise<Pick<RoutePlanInput, 'ours' | 'foreign' | 'local'>> {
  const routes = JSON.parse((await exec('ip', ['-j', '-4', 'route', 'show', 'table', 'main'])) || '[]') as KernelRoute[];
  const isOurs = (r: KernelRoute): boolean => r.protocol === String(ROUTE_PROTO) && r.metric === ROUTE_METRIC;
  const addrs = JSON.parse((await exec('ip', ['-j', '-4', 'addr', 'show'])) || '[]') as { addr_info?: { local?: string }[] }[];
  return {
    ours: routes.filter((r) => isOurs(r) && r.gateway).map((r) => ({ subnet: r.dst, via: r.gateway! })),
    foreign: new Set(routes.filter((r) => !isOurs(r)).map((r) => r.dst)),
    local: new Set(addrs.flatMap((a) => (a.addr_info ?? []).map((i) => i.local ?? '')).filter(Boolean)),
  };
}

const routeArgs = (r: HostRoute): string[] => [r.subnet, 'via', r.via, 'metric', String(ROUTE_METRIC), 'proto', String(ROUTE_PROTO)];

export interface RouteFollower {
  /** Applies the plan now (tests, and the follower's own timer). */
  sync(): Promise<void>;
  stop(): void;
}

/**
 * Follows hosts' heartbeats and operators' removals; keeps the kernel's routes to
 * them (coalesced, and again every `repairMs` in case something else removed one).
 */
export function followHostRoutes(nc: NatsConnection, opts: { selfId: string; ownSubnets: string[]; log: Logger; repairMs?: number }): RouteFollower {
  const hosts = new Map<string, { subnet: string; address: string }>();
  const removed = new Set<string>();
  const failures = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;

  const apply = async (): Promise<void> => {
    const state = await kernelState();
    const plan = planRoutes({ ...state, own: new Set(opts.ownSubnets), hosts: [...hosts].map(([hostId, h]) => ({ hostId, ...h, removed: removed.has(hostId) })) });
    for (const [verb, list] of [['replace', plan.replace], ['del', plan.remove]] as const) {
      for (const r of list) {
        const key = `${verb} ${r.subnet} ${r.via}`;
        const res = await execRaw('ip', ['route', verb, ...routeArgs(r)]);
        if (res.code === 0) {
          failures.delete(key);
          opts.log.info(verb === 'del' ? 'route to a removed host deleted' : 'route to a host set', { subnet: r.subnet, via: r.via });
        } else if (failures.get(key) !== res.stderr) {
          // Once per distinct failure, not at every repair.
          failures.set(key, res.stderr);
          opts.log.warn(`could not ${verb} the route to a host's containers; the host's address must be on a network this node reaches directly`, { subnet: r.subnet, via: r.via, err: res.stderr.trim() });
        }
      }
    }
  };
  const routes = coalesce(apply, { onError: (err) => opts.log.warn('routes to hosts not updated', { err }) });
  const sync = (): Promise<void> => routes.run();
  const schedule = (): void => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void sync();
    }, 200);
  };

  const beats = subscribe(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, opts.log, (hb) => {
    if (hb.hostId === opts.selfId || !hb.subnet) return;
    const had = hosts.get(hb.hostId);
    if (had?.subnet === hb.subnet && had.address === hb.address) return;
    hosts.set(hb.hostId, { subnet: hb.subnet, address: hb.address });
    schedule();
  });
  const changes = subscribe(nc, subjects.hostsChanged.name, subjects.hostsChanged.schema, opts.log, (ev) => {
    if (ev.removed === undefined) return;
    if (ev.removed) removed.add(ev.hostId);
    else removed.delete(ev.hostId);
    schedule();
  });
  const repair = setInterval(schedule, opts.repairMs ?? 30_000);
  return {
    sync,
    stop() {
      beats.unsubscribe();
      changes.unsubscribe();
      clearInterval(repair);
      if (timer) clearTimeout(timer);
    },
  };
}
