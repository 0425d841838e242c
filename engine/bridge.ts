/**
 * The host bridge (Docker's docker0): one per host, with the subnet's first address,
 * IP forwarding on, and NAT (MASQUERADE) for traffic from the subnet to elsewhere, so
 * builds reach the npm registry and the Debian mirror. Every step is idempotent: it
 * checks before it adds, so restarts and several engines on one bridge are fine.
 */
import { writeFile } from 'node:fs/promises';
import { ConflictError } from '../shared';
import { overlaps, parseCidr, type Cidr } from './cidr';
import { exec, execRaw } from './exec';

async function iptablesEnsure(table: string, chain: string, rule: string[]): Promise<void> {
  const check = await execRaw('iptables', ['-w', '-t', table, '-C', chain, ...rule]);
  if (check.code === 0) return;
  await exec('iptables', ['-w', '-t', table, '-A', chain, ...rule]);
}

/**
 * Refuses a subnet that another interface already uses: routes would then go to the
 * wrong place and containers be unreachable, a failure that is otherwise silent.
 */
async function checkSubnetFree(name: string, cidr: Cidr): Promise<void> {
  const lines = (await exec('ip', ['-o', '-4', 'addr', 'show'])).split('\n');
  for (const line of lines) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\S+)/.exec(line);
    if (!m || m[1] === name) continue;
    const other = parseCidr(m[2]!.includes('/') ? m[2]! : `${m[2]}/32`, 0);
    if (overlaps(other, cidr)) {
      throw new ConflictError(`bridge subnet ${cidr.subnet} overlaps ${other.subnet} of interface ${m[1]}`, 'bridge_subnet_conflict');
    }
  }
}

export async function ensureBridge(name: string, cidr: Cidr): Promise<void> {
  await checkSubnetFree(name, cidr);
  const show = await execRaw('ip', ['-o', 'addr', 'show', 'dev', name]);
  if (show.code !== 0) {
    const add = await execRaw('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
    if (add.code !== 0 && !/File exists/.test(add.stderr)) await exec('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  }
  const addrs = (await exec('ip', ['-o', '-4', 'addr', 'show', 'dev', name])).split('\n');
  if (!addrs.some((l) => l.includes(` ${cidr.address}/${cidr.prefix} `))) {
    const r = await execRaw('ip', ['addr', 'add', `${cidr.address}/${cidr.prefix}`, 'dev', name]);
    if (r.code !== 0 && !/File exists/.test(r.stderr)) await exec('ip', ['addr', 'add', `${cidr.address}/${cidr.prefix}`, 'dev', name]);
  }
  await exec('ip', ['link', 'set', 'dev', name, 'up']);
  await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  await iptablesEnsure('nat', 'POSTROUTING', ['-s', cidr.subnet, '!', '-d', cidr.subnet, '-j', 'MASQUERADE']);
  // Hosts whose FORWARD policy is DROP (e.g. after Docker) would otherwise block the bridge.
  await iptablesEnsure('filter', 'FORWARD', ['-i', name, '-j', 'ACCEPT']);
  await iptablesEnsure('filter', 'FORWARD', ['-o', name, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']);
}

/** Removes the bridge and its rules (tests; an operator tearing a host down). */
export async function removeBridge(name: string, cidr: Cidr): Promise<void> {
  const rules: [string, string, string[]][] = [
    ['nat', 'POSTROUTING', ['-s', cidr.subnet, '!', '-d', cidr.subnet, '-j', 'MASQUERADE']],
    ['filter', 'FORWARD', ['-i', name, '-j', 'ACCEPT']],
    ['filter', 'FORWARD', ['-o', name, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']],
  ];
  for (const [table, chain, rule] of rules) {
    while ((await execRaw('iptables', ['-w', '-t', table, '-D', chain, ...rule])).code === 0) {
      /* delete every copy */
    }
  }
  await execRaw('ip', ['link', 'del', 'dev', name]);
}
