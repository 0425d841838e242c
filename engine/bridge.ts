/**
 * The host bridge (Docker's docker0): one per host, with the subnet's first address,
 * IP forwarding on, and NAT (MASQUERADE) for traffic from the subnet to elsewhere, so
 * builds reach the npm registry and the Debian mirror. Every step is idempotent: it
 * checks before it adds, so restarts and several engines on one bridge are fine.
 *
 * It also prepares the bridge for published ports (ports-*.ts): route_localnet so
 * 127.0.0.1 may be forwarded to a container, MASQUERADE for that and for hairpin
 * traffic (a container reaching another through a published port, which would
 * otherwise answer straight back, bypassing the NAT), and FORWARD accepting DNAT'ed
 * connections on hosts whose FORWARD policy is DROP.
 */
import { writeFile } from 'node:fs/promises';
import { ConflictError } from '../shared';
import { overlaps, parseCidr, type Cidr } from './cidr';
import { exec, execRaw } from './exec';
import { reconcilePorts, removeDnatChainIfEmpty } from './ports-publish';
import { removeIsolation } from './isolation';

type Table = 'nat' | 'filter';

/** The bridge's rules, each exactly as iptables-save prints it (compared as text). */
export function bridgeRules(name: string, cidr: Cidr): [Table, string][] {
  return [
    ['nat', `-A POSTROUTING -s ${cidr.subnet} ! -d ${cidr.subnet} -j MASQUERADE`],
    ['nat', `-A POSTROUTING -s 127.0.0.0/8 -o ${name} -j MASQUERADE`],
    ['nat', `-A POSTROUTING -s ${cidr.subnet} -d ${cidr.subnet} -o ${name} -m conntrack --ctstate DNAT -j MASQUERADE`],
    // Hosts whose FORWARD policy is DROP (e.g. after Docker) would otherwise block the bridge.
    ['filter', `-A FORWARD -i ${name} -j ACCEPT`],
    ['filter', `-A FORWARD -o ${name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`],
    ['filter', `-A FORWARD -o ${name} -m conntrack --ctstate DNAT -j ACCEPT`],
    // route_localnet would also let a container send to 127.0.0.1 through the bridge and
    // reach host services bound to loopback (CVE-2020-8558): only answers may come in.
    ['filter', `-A INPUT -d 127.0.0.0/8 -i ${name} -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`],
    // Containers (apps and builds) never open connections to the host itself: not to the
    // controller API, NATS, the database or the engine. The host reaching them (router,
    // readiness checks) and their traffic to elsewhere (FORWARD) are unaffected.
    ['filter', `-A INPUT -i ${name} -m conntrack ! --ctstate RELATED,ESTABLISHED -j DROP`],
  ];
}

/** Rules of `wanted` not present in an iptables-save dump, grouped per table for iptables-restore. */
export function missingRules(save: string, wanted: [Table, string][]): string {
  const present = new Set<string>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ')) present.add(`${table} ${line}`);
  }
  const script: string[] = [];
  for (const t of ['nat', 'filter'] as const) {
    const lines = wanted.filter(([wt, rule]) => wt === t && !present.has(`${t} ${rule}`)).map(([, rule]) => rule);
    if (lines.length > 0) script.push(`*${t}`, ...lines, 'COMMIT');
  }
  return script.length > 0 ? `${script.join('\n')}\n` : '';
}

/** Two processes whatever the number of rules: one dump, one atomic restore of what is missing. */
async function iptablesEnsureAll(rules: [Table, string][]): Promise<void> {
  const script = missingRules(await exec('iptables-save', []), rules);
  if (script) await exec('iptables-restore', ['-w', '--noflush'], { input: script });
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
  // Lets OUTPUT DNAT send 127.0.0.1 traffic out of the bridge (and its answers back in).
  await writeFile(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1\n');
  await iptablesEnsureAll(bridgeRules(name, cidr));
}

/** Removes the bridge and its rules (tests; an operator tearing a host down). */
export async function removeBridge(name: string, cidr: Cidr): Promise<void> {
  await reconcilePorts(cidr, new Set());
  await removeDnatChainIfEmpty();
  await removeIsolation(name, cidr);
  for (const [table, rule] of bridgeRules(name, cidr)) {
    const args = rule.replace(/^-A /, '').split(' ');
    while ((await execRaw('iptables', ['-w', '-t', table, '-D', ...args])).code === 0) {
      /* delete every copy */
    }
  }
  await execRaw('ip', ['link', 'del', 'dev', name]);
}
