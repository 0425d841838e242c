/**
 * Applies the app isolation of one bridge (isolation-rules.ts) to the host's iptables:
 * one `iptables-save` and one atomic `iptables-restore --noflush` whenever the rules'
 * text changes, never otherwise. The engine refreshes before every container start
 * (so a new container's address is in its app's set, and an address a removed
 * container left is in none, before any process runs behind it) and after every
 * remove; the agent hands in what other hosts' heartbeats say (setPeers).
 *
 * The chains outlive the engine process, as the containers do: closing the engine
 * leaves them (a restarted engine rewrites them); removeIsolation takes them away with
 * the bridge.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import type { Logger } from '../shared';
import { KeyedMutex } from '../shared/keyed-mutex';
import type { Cidr } from './cidr';
import { exec, execRaw } from './exec';
import { isolationScript, removalScript, viewKey, type IsolationView } from './isolation-rules';

/** What the rest of the cluster contributes: other hosts' containers by app, their subnets, the nodes. */
export interface IsolationPeers {
  remote: Record<string, string[]>;
  peerSubnets: string[];
  nodes: string[];
}

export const NO_PEERS: IsolationPeers = { remote: {}, peerSubnets: [], nodes: [] };

/** The IPv4 name servers of a resolv.conf (loopback ones are the host's own, unreachable anyway). */
export function resolversOf(resolvConf: string): string[] {
  return [...resolvConf.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((ip) => isIPv4(ip) && !ip.startsWith('127.'));
}

const BRIDGE_NF = '/proc/sys/net/bridge/bridge-nf-call-iptables';

/**
 * Traffic between two containers on one bridge is switched, not routed: iptables sees
 * it only with br_netfilter on (as Docker needs it too). False when it cannot be had.
 */
export async function ensureBridgeFiltering(): Promise<boolean> {
  if ((await readFile(BRIDGE_NF, 'utf8').catch(() => undefined)) === undefined) await execRaw('modprobe', ['br_netfilter']);
  const now = await readFile(BRIDGE_NF, 'utf8').catch(() => undefined);
  if (now === undefined) return false;
  if (now.trim() !== '1') await writeFile(BRIDGE_NF, '1\n');
  return true;
}

export class IsolationFirewall {
  private peers: IsolationPeers = NO_PEERS;
  private appliedKey?: string;
  private filtering?: boolean;
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly bridge: { name: string; cidr: Cidr },
    /** This host's containers that belong to an app, as they are right now. */
    private readonly local: () => { ip: string; app: string }[],
    private readonly resolvConf: () => Promise<string>,
    private readonly log: Logger,
    /** The routers' ports, open to containers on every node (isolation-rules.ts). */
    private readonly routerPorts: readonly number[] = [],
  ) {}

  /** Replaces what other hosts contribute and applies the result. */
  setPeers(peers: IsolationPeers): Promise<void> {
    this.peers = peers;
    return this.refresh();
  }

  /** Makes the host's rules match the current state; costs nothing when they already do. Serialised. */
  refresh(): Promise<void> {
    return this.mutex.run('apply', async () => {
      const view: IsolationView = {
        bridge: this.bridge.name,
        subnet: this.bridge.cidr.subnet,
        local: this.local(),
        ...this.peers,
        resolvers: resolversOf(await this.resolvConf()),
        routerPorts: this.routerPorts,
      };
      const key = viewKey(view);
      if (key === this.appliedKey) return;
      if (this.filtering === undefined) {
        this.filtering = await ensureBridgeFiltering();
        if (!this.filtering) this.log.error('br_netfilter is unavailable: containers on this host are NOT isolated from each other (modprobe br_netfilter)');
      }
      const { script } = isolationScript(view, await exec('iptables-save', []));
      await exec('iptables-restore', ['-w', '--noflush'], { input: script });
      this.appliedKey = key;
      this.log.debug('isolation rules applied', { bridge: this.bridge.name, local: view.local.length, nodes: view.nodes.length });
    });
  }
}

/** Removes a bridge's isolation chains and their jumps (tests; an operator tearing a host down). */
export async function removeIsolation(bridge: string, cidr: Cidr): Promise<void> {
  const script = removalScript(await exec('iptables-save', []), bridge, cidr.subnet);
  if (script) await exec('iptables-restore', ['-w', '--noflush'], { input: script });
}

