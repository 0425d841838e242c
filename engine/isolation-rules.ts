/**
 * The network isolation of apps (RELIABILITY.md T24) as iptables text: pure, so every
 * case is a unit test. For one host bridge it writes
 *
 *   filter  PAAS-ISO-<bridge>, jumped to from the top of FORWARD for everything that
 *           enters or leaves the bridge, which decides every such packet (ACCEPT or DROP):
 *             answers (ESTABLISHED,RELATED)        accept
 *             from the bridge with a foreign source drop (a container posing as another)
 *             into a container, DNAT'ed             accept (published ports: the operator's choice)
 *             into a container from a container     accept only when both are of one app
 *                                                   (PIA-<bridge>-<n>: the app's addresses, cluster-wide)
 *             into a container from a node           accept (routers, other hosts)
 *             into a container from anyone else      drop
 *             out of a container to its resolvers    accept (port 53, even on a node)
 *             out of a container to a node's router
 *             ports                                 accept (an app calling another by its URL)
 *             out of a container to a node address
 *             or the cloud metadata address         drop (control plane, agents, MySQL, NATS)
 *             out of a container to another host's
 *             container subnet                      accept (that host decides, by app)
 *             out of a container to a node network  drop (PAAS_NODE_CIDR)
 *             out of a container to elsewhere       accept (the internet)
 *           PAAS-ISI-<bridge>, jumped to from the top of INPUT: new connections from this
 *           host's and other hosts' containers to this host's router ports (at any of its
 *           addresses but loopback) are accepted; others from other hosts' container
 *           subnets to this host itself are dropped (its bridge address is routed like its
 *           containers, and no -i rule would catch them), and bridge.ts drops the rest of
 *           this host's containers' connections to it.
 *   nat     PAAS-NOMASQ-<bridge>, jumped to from the top of POSTROUTING for the bridge's
 *           subnet: traffic to other hosts' container subnets leaves unmasqueraded, so
 *           the receiving host sees which container (hence which app) it comes from.
 *
 * The host's own traffic to its containers (router, readiness checks) is OUTPUT, not
 * FORWARD, so it never meets these rules; containers to the host itself are dropped in
 * INPUT (bridge.ts). The chains are rewritten whole on every change (declaring a chain
 * in iptables-restore --noflush flushes it), in one atomic commit per table.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

/** The cloud metadata service (AWS, GCP, Azure, OpenStack…): instance credentials live there. */
export const METADATA_ADDRESS = '169.254.169.254/32';

export interface IsolationView {
  bridge: string;
  /** This host's container subnet, e.g. 10.77.0.0/16. */
  subnet: string;
  /** This host's containers that belong to an app (created until removed: each keeps its address that long). */
  local: readonly { ip: string; app: string }[];
  /** Containers of other hosts, by app (from their heartbeats). */
  remote: Readonly<Record<string, readonly string[]>>;
  /** Other hosts' container subnets: their traffic keeps its source address. */
  peerSubnets: readonly string[];
  /** Nodes (hosts, routers, the control plane): addresses or CIDRs. They reach containers; containers do not reach them. */
  nodes: readonly string[];
  /** Name servers the containers' resolv.conf names: port 53 stays open to them even when they are nodes. */
  resolvers: readonly string[];
  /**
   * The routers' ports (HTTP, HTTPS): the one way in to a node that apps keep, since an
   * app may call another app, or itself, by its URL, which resolves to a router node.
   */
  routerPorts?: readonly number[];
}

/** `-p tcp -m multiport --dports 80,443`, or nothing to match when there are no router ports. */
function routerPortsMatch(view: IsolationView): string | undefined {
  const ports = [...new Set(view.routerPorts ?? [])].sort((a, b) => a - b);
  return ports.length ? `-p tcp -m multiport --dports ${ports.join(',')}` : undefined;
}

export function isolationChain(bridge: string): string {
  return `PAAS-ISO-${bridge}`;
}

export function inputChain(bridge: string): string {
  return `PAAS-ISI-${bridge}`;
}

export function noMasqChain(bridge: string): string {
  return `PAAS-NOMASQ-${bridge}`;
}

/** An app's chain: numbered in the order of the apps' names (rewritten whole, so numbers may move). */
export function appChain(bridge: string, index: number): string {
  return `PIA-${bridge}-${index}`;
}

/** The jumps into the chains, as iptables-save prints them; they are inserted at the top. */
export function isolationJumps(bridge: string, subnet: string): { filter: string[]; nat: string[] } {
  return {
    filter: [
      `-A FORWARD -i ${bridge} -j ${isolationChain(bridge)}`,
      `-A FORWARD -o ${bridge} -j ${isolationChain(bridge)}`,
      `-A INPUT -j ${inputChain(bridge)}`,
    ],
    nat: [`-A POSTROUTING -s ${subnet} -j ${noMasqChain(bridge)}`],
  };
}

/** a.b.c.d → a.b.c.d/32; a CIDR as it is; anything else (a name, IPv6) is not ours to write: undefined. */
export function asCidr(address: string): string | undefined {
  const [ip, prefix] = address.split('/');
  if (!ip || !isIPv4(ip)) return undefined;
  if (prefix === undefined) return `${ip}/32`;
  const p = Number(prefix);
  return /^\d{1,2}$/.test(prefix) && p <= 32 ? `${ip}/${p}` : undefined;
}

function sortedUnique(values: Iterable<string | undefined>): string[] {
  return [...new Set([...values].filter((v): v is string => !!v))].sort();
}

/** Each app that has a container here, with every address of that app in the cluster. */
function appsHere(view: IsolationView): { app: string; local: string[]; members: string[] }[] {
  const apps = sortedUnique(view.local.map((c) => c.app));
  return apps.map((app) => {
    const local = sortedUnique(view.local.filter((c) => c.app === app).map((c) => asCidr(c.ip)));
    return { app, local, members: sortedUnique([...local, ...(view.remote[app] ?? []).map(asCidr)]) };
  });
}

/** The filter table's part: the bridge's chain and its apps' chains, and `-X` for chains no longer used. */
export function filterRules(view: IsolationView, previous: readonly string[] = []): { script: string; appChains: string[] } {
  const b = view.bridge;
  const c = isolationChain(b);
  const apps = appsHere(view);
  const chains = apps.map((_, i) => appChain(b, i));
  const own = asCidr(view.subnet);
  const peers = sortedUnique(view.peerSubnets.map(asCidr)).filter((p) => p !== own);
  const subnets = sortedUnique([own, ...peers]);
  const nodes = sortedUnique(view.nodes.map(asCidr));
  const resolvers = sortedUnique(view.resolvers.map(asCidr));
  const stale = previous.filter((n) => !chains.includes(n));
  // Stale chains are declared too (which flushes them): only an empty chain can be deleted.
  const lines = ['*filter', ...[c, inputChain(b), ...chains, ...stale].map((n) => `:${n} - [0:0]`)];
  const rule = (r: string): number => lines.push(`-A ${c} ${r}`);
  rule('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  rule(`-i ${b} ! -s ${view.subnet} -j DROP`);
  rule(`-o ${b} -m conntrack --ctstate DNAT -j ACCEPT`);
  // Into a container: from a container of its app; then no other container, whatever else matches.
  apps.forEach((a, i) => a.local.forEach((ip) => rule(`-o ${b} -d ${ip} -j ${chains[i]}`)));
  for (const s of subnets) rule(`-o ${b} -s ${s} -j DROP`);
  for (const n of nodes) rule(`-o ${b} -s ${n} -j ACCEPT`);
  rule(`-o ${b} -j DROP`);
  // Out of a container (what is left is from the bridge to elsewhere).
  for (const r of resolvers) for (const p of ['udp', 'tcp']) rule(`-i ${b} -d ${r} -p ${p} -m ${p} --dport 53 -j ACCEPT`);
  // Node addresses first: a host whose address lies in its own container subnet is still a node.
  const [addresses, networks] = [nodes.filter((n) => n.endsWith('/32')), nodes.filter((n) => !n.endsWith('/32'))];
  const routers = routerPortsMatch(view);
  if (routers) for (const n of nodes) rule(`-i ${b} -d ${n} ${routers} -j ACCEPT`);
  for (const n of [...addresses, METADATA_ADDRESS]) rule(`-i ${b} -d ${n} -j DROP`);
  // Another host's containers: that host decides, by app. Before the node networks, which may be wide.
  for (const s of peers) rule(`-i ${b} -d ${s} -j ACCEPT`);
  for (const n of networks) rule(`-i ${b} -d ${n} -j DROP`);
  rule(`-i ${b} -j ACCEPT`);
  // This host itself, from other hosts' containers (answers to its own connections pass).
  const input = inputChain(b);
  lines.push(`-A ${input} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`);
  // The router on this host, at any of its own addresses; never at loopback (route_localnet, bridge.ts).
  if (routers) for (const s of subnets) lines.push(`-A ${input} -s ${s} ! -d 127.0.0.0/8 ${routers} -m addrtype --dst-type LOCAL -j ACCEPT`);
  for (const s of peers) lines.push(`-A ${input} -s ${s} -j DROP`);
  apps.forEach((a, i) => a.members.forEach((ip) => lines.push(`-A ${chains[i]} -s ${ip} -j ACCEPT`)));
  for (const old of stale) lines.push(`-X ${old}`);
  lines.push('COMMIT');
  return { script: `${lines.join('\n')}\n`, appChains: chains };
}

/** The nat table's part: other hosts' container subnets are not masqueraded. */
export function natRules(view: IsolationView): string {
  const chain = noMasqChain(view.bridge);
  const own = asCidr(view.subnet);
  const peers = sortedUnique(view.peerSubnets.map(asCidr)).filter((s) => s !== own);
  return ['*nat', `:${chain} - [0:0]`, ...peers.map((s) => `-A ${chain} -d ${s} -j ACCEPT`), 'COMMIT', ''].join('\n');
}

/** Lines inserting the jumps that an iptables-save dump lacks (at the top of their chains). */
export function missingJumps(save: string, bridge: string, subnet: string): { filter: string[]; nat: string[] } {
  const present = new Set(save.split('\n'));
  const j = isolationJumps(bridge, subnet);
  const insert = (lines: string[]): string[] => lines.filter((l) => !present.has(l)).map((l) => l.replace(/^-A (\S+) /, '-I $1 1 '));
  return { filter: insert(j.filter), nat: insert(j.nat) };
}

/** The app chains of `bridge` that an iptables-save dump shows. */
export function existingAppChains(save: string, bridge: string): string[] {
  const re = new RegExp(`^:(PIA-${bridge.replace(/[^\w]/g, '\\$&')}-\\d+) `);
  return save
    .split('\n')
    .map((l) => re.exec(l)?.[1])
    .filter((n): n is string => !!n);
}

/** iptables-restore --noflush input for the whole isolation of a bridge (jumps it lacks, both tables). */
export function isolationScript(view: IsolationView, save: string): { script: string; appChains: string[] } {
  const jumps = missingJumps(save, view.bridge, view.subnet);
  const filter = filterRules(view, existingAppChains(save, view.bridge));
  // Jumps after the chains' declarations (a jump to a chain not yet declared fails).
  const withJumps = (script: string, add: string[]): string => script.replace(/\nCOMMIT\n$/, `\n${add.length ? `${add.join('\n')}\n` : ''}COMMIT\n`);
  return { script: withJumps(filter.script, jumps.filter) + withJumps(natRules(view), jumps.nat), appChains: filter.appChains };
}

/** iptables-restore --noflush input removing a bridge's isolation (its jumps, every copy, and chains), per an iptables-save dump. */
export function removalScript(save: string, bridge: string, subnet: string): string {
  const lines = save.split('\n');
  const j = isolationJumps(bridge, subnet);
  const has = (chain: string): boolean => lines.some((l) => l.startsWith(`:${chain} `));
  const deletes = (jumps: string[]): string[] => lines.filter((l) => jumps.includes(l)).map((l) => l.replace(/^-A /, '-D '));
  const out: string[] = [];
  const filterChains = [isolationChain(bridge), inputChain(bridge), ...existingAppChains(save, bridge)].filter(has);
  const filterJumps = deletes(j.filter);
  if (filterChains.length + filterJumps.length > 0) {
    out.push('*filter', ...filterJumps, ...filterChains.map((n) => `-F ${n}`), ...filterChains.map((n) => `-X ${n}`), 'COMMIT');
  }
  const natJumps = deletes(j.nat);
  const natChain = has(noMasqChain(bridge)) ? [`-F ${noMasqChain(bridge)}`, `-X ${noMasqChain(bridge)}`] : [];
  if (natJumps.length + natChain.length > 0) out.push('*nat', ...natJumps, ...natChain, 'COMMIT');
  return out.length ? `${out.join('\n')}\n` : '';
}

/** A digest of a view's rules: the applier rewrites the chains only when it changed. */
export function viewKey(view: IsolationView): string {
  return createHash('sha256').update(filterRules(view).script).update(natRules(view)).digest('hex');
}
