/**
 * Published ports as iptables rules (what Docker does with its userland proxy off):
 * one DNAT rule per mapping in paas's own nat chain PAAS-DNAT, which PREROUTING
 * (traffic from elsewhere, other containers) and OUTPUT (this host, 127.0.0.1
 * included) jump to for local destination addresses. Each rule carries a comment
 * naming its container, `paas:<id>:<netns>`, so it can be found again and removed
 * after a restart; the netns part is derived from the data dir, so two engines on one
 * host never mistake each other's rules. This file is pure text: parsing
 * `iptables-save` and writing `iptables-restore` input.
 */
import { isIPv4 } from 'node:net';
import { InvalidInputError } from '../shared';
import type { PortMapping } from './types';
import { PortConflictError } from './errors';

export const DNAT_CHAIN = 'PAAS-DNAT';

/** Jumps from the built-in chains; Docker's DOCKER chain hooks in the same way. */
export const DNAT_JUMPS: readonly string[] = [
  `-A PREROUTING -m addrtype --dst-type LOCAL -j ${DNAT_CHAIN}`,
  `-A OUTPUT -m addrtype --dst-type LOCAL -j ${DNAT_CHAIN}`,
];

export interface PublishedRule {
  /** The rule as iptables-save prints it (starts with `-A PAAS-DNAT`). */
  line: string;
  tag: string;
  protocol: 'tcp' | 'udp';
  hostPort: number;
  hostIp?: string;
  /** ip:port it forwards to. */
  destination: string;
}

export function portTag(containerId: string, netns: string): string {
  return `paas:${containerId}:${netns}`;
}

/** The container id in a tag. */
export function tagOwner(tag: string): string {
  return tag.split(':')[1] ?? tag;
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** Checks a spec's mappings: port ranges, protocols, addresses, no host port twice. */
export function validatePorts(ports: readonly PortMapping[], network: string): void {
  if (ports.length > 0 && network !== 'bridge') {
    throw new InvalidInputError(`ports can only be published in bridge mode, not ${network}`, 'invalid_ports');
  }
  const seen = new Set<string>();
  for (const p of ports) {
    const protocol = p.protocol ?? 'tcp';
    if (!validPort(p.hostPort) || !validPort(p.containerPort)) {
      throw new InvalidInputError(`ports must be 1-65535: ${p.hostPort}:${p.containerPort}`, 'invalid_ports');
    }
    if (protocol !== 'tcp' && protocol !== 'udp') throw new InvalidInputError(`protocol must be tcp or udp: ${String(protocol)}`, 'invalid_ports');
    if (p.hostIp !== undefined && (!isIPv4(p.hostIp) || p.hostIp === '0.0.0.0')) {
      throw new InvalidInputError(`hostIp must be a specific IPv4 address (omit it for all): ${p.hostIp}`, 'invalid_ports');
    }
    const key = `${protocol}/${p.hostPort}`;
    if (seen.has(key)) throw new InvalidInputError(`host port ${key} is published twice`, 'invalid_ports');
    seen.add(key);
  }
}

/** The rule (iptables-save syntax, without `-A chain`) forwarding one mapping to `ip`. */
export function dnatRule(p: PortMapping, ip: string, tag: string): string {
  const protocol = p.protocol ?? 'tcp';
  const dest = p.hostIp ? `-d ${p.hostIp}/32 ` : '';
  return `${dest}-p ${protocol} -m ${protocol} --dport ${p.hostPort} -m comment --comment "${tag}" -j DNAT --to-destination ${ip}:${p.containerPort}`;
}

const RULE_RE =
  /^-A PAAS-DNAT (?:-d (\S+?)(?:\/32)? )?-p (tcp|udp) -m (?:tcp|udp) --dport (\d+) -m comment --comment "?([^"\s]+)"? -j DNAT --to-destination (\S+)$/;

/** The state of the nat table as far as published ports are concerned. */
export interface NatState {
  chainExists: boolean;
  /** Which of DNAT_JUMPS are present. */
  jumps: Set<string>;
  rules: PublishedRule[];
}

export function parseNatSave(save: string): NatState {
  const state: NatState = { chainExists: false, jumps: new Set(), rules: [] };
  for (const line of save.split('\n')) {
    if (line.startsWith(`:${DNAT_CHAIN} `)) state.chainExists = true;
    if (DNAT_JUMPS.includes(line)) state.jumps.add(line);
    const m = RULE_RE.exec(line);
    if (!m) continue;
    const rule: PublishedRule = { line, tag: m[4]!, protocol: m[2] as 'tcp' | 'udp', hostPort: Number(m[3]), destination: m[5]! };
    if (m[1]) rule.hostIp = m[1];
    state.rules.push(rule);
  }
  return state;
}

/** Throws PortConflictError if another container's rule would catch the same traffic. */
export function checkConflicts(state: NatState, ports: readonly PortMapping[], tag: string): void {
  for (const p of ports) {
    const protocol = p.protocol ?? 'tcp';
    const clash = state.rules.find(
      (r) => r.tag !== tag && r.protocol === protocol && r.hostPort === p.hostPort && (!r.hostIp || !p.hostIp || r.hostIp === p.hostIp),
    );
    if (clash) throw new PortConflictError(p.hostPort, protocol, tagOwner(clash.tag));
  }
}

/**
 * iptables-restore --noflush input that makes the chain and jumps exist if missing,
 * deletes `remove` and appends `add`: one atomic commit. (Declaring a chain that
 * exists would flush it, hence only when missing.)
 */
export function restoreScript(state: NatState, remove: readonly PublishedRule[], add: readonly string[]): string {
  const lines = ['*nat'];
  if (!state.chainExists && add.length > 0) lines.push(`:${DNAT_CHAIN} - [0:0]`);
  if (add.length > 0) for (const j of DNAT_JUMPS) if (!state.jumps.has(j)) lines.push(j);
  for (const r of remove) lines.push(r.line.replace(/^-A /, '-D '));
  for (const rule of add) lines.push(`-A ${DNAT_CHAIN} ${rule}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}
