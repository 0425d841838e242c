/**
 * What the other hosts' heartbeats tell this host's firewall (isolation.ts): which
 * container address belongs to which app on the other hosts, their container subnets,
 * and the nodes (every host's address, plus the control plane's addresses the operator
 * configured or NATS is reached at). A host not heard for `expiryMs` is forgotten: its
 * containers' new connections are refused from then on (established ones go on).
 */
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';
import type { NatsConnection } from 'nats';
import { subjects, subscribe, type HostHeartbeat, type Logger } from '../shared';
import type { EngineApi } from './types';
import type { IsolationPeers } from './isolation';

export const PEER_EXPIRY_MS = 15_000;

export class ClusterPeers {
  private readonly hosts = new Map<string, { beat: HostHeartbeat; at: number }>();
  private readonly nodes: Set<string>;

  constructor(
    private readonly selfId: string,
    /** This host's address and the control plane's (addresses or CIDRs). */
    nodes: readonly string[],
    private readonly expiryMs = PEER_EXPIRY_MS,
  ) {
    this.nodes = new Set(nodes);
  }

  /** More nodes (names resolved later). */
  addNodes(nodes: readonly string[]): void {
    for (const n of nodes) this.nodes.add(n);
  }

  heard(beat: HostHeartbeat, now = Date.now()): void {
    if (beat.hostId !== this.selfId) this.hosts.set(beat.hostId, { beat, at: now });
  }

  peers(now = Date.now()): IsolationPeers {
    const remote: Record<string, string[]> = {};
    const peerSubnets: string[] = [];
    const nodes = new Set(this.nodes);
    for (const [id, { beat, at }] of this.hosts) {
      if (now - at > this.expiryMs) {
        this.hosts.delete(id);
        continue;
      }
      nodes.add(beat.address);
      if (beat.subnet) peerSubnets.push(beat.subnet);
      for (const job of beat.jobs) if (job.ip && job.state !== 'down') (remote[job.app] ??= []).push(job.ip);
    }
    for (const ips of Object.values(remote)) ips.sort();
    return { remote, peerSubnets: [...new Set(peerSubnets)].sort(), nodes: [...nodes].sort() };
  }
}

/**
 * Feeds heartbeats to the engine's firewall, coalesced: at most one update per
 * `debounceMs`, and none when nothing changed. Returns the stop function.
 */
export function followPeers(engine: EngineApi, nc: NatsConnection, hostId: string, nodes: readonly string[], log: Logger, debounceMs = 200): () => void {
  const names = nodes.filter((n) => !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(n));
  const cluster = new ClusterPeers(hostId, nodes.filter((n) => !names.includes(n)));
  let sent = '';
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const peers = cluster.peers();
    const text = JSON.stringify(peers);
    if (text === sent) return;
    engine.setIsolationPeers(peers).then(
      () => (sent = text),
      (err) => log.warn('isolation rules not updated', { err }),
    );
  };
  const schedule = (): void => {
    timer ??= setTimeout(flush, debounceMs);
  };
  const sub = subscribe(nc, subjects.hostHeartbeat.name, subjects.hostHeartbeat.schema, log, async (beat) => {
    cluster.heard(beat);
    schedule();
  });
  // A control plane named by host name (NATS_URL=nats://cp.internal:4222): its addresses.
  for (const name of names) {
    lookup(name, { all: true, family: 4 }).then(
      (found) => {
        cluster.addNodes(found.map((a) => a.address).filter((a) => isIPv4(a) && !a.startsWith('127.')));
        schedule();
      },
      (err) => log.warn('could not resolve a control-plane node; set PAAS_NODE_CIDR', { name, err }),
    );
  }
  // Also without any heartbeat: this host's own nodes at start, and expiries.
  const tick = setInterval(schedule, 2_000);
  schedule();
  return () => {
    sub.unsubscribe();
    clearInterval(tick);
    if (timer) clearTimeout(timer);
  };
}
