/**
 * Publishes and withdraws a container's ports in the host's nat table. Every change is
 * read (`iptables-save -t nat`), checked and written back (`iptables-restore
 * --noflush`, one atomic commit) under a host-wide lock, since every engine on the
 * host shares PAAS-DNAT and a host port may only be published once.
 */
import { createServer } from 'node:net';
import type { PortMapping } from './types';
import { exec } from './exec';
import { withFileLock } from './file-lock';
import { KeyedMutex } from '../shared/keyed-mutex';
import { ipToInt, type Cidr } from './cidr';
import { PortConflictError } from './errors';
import { checkConflicts, dnatRule, DNAT_CHAIN, parseNatSave, restoreScript, type NatState, type PublishedRule } from './ports-rules';

/** In /run: tmpfs, so a lock left by a crash goes with a reboot (and dead owners are taken over). */
const LOCK_DIR = '/run/paas-ports.lock';
const local = new KeyedMutex();

function locked<T>(fn: () => Promise<T>): Promise<T> {
  // In-process first, so this process's own callers queue instead of polling the lock dir.
  return local.run('ports', () => withFileLock(LOCK_DIR, fn, 20));
}

async function natState(): Promise<NatState> {
  return parseNatSave(await exec('iptables-save', ['-t', 'nat']));
}

async function restore(script: string): Promise<void> {
  await exec('iptables-restore', ['-w', '--noflush'], { input: script });
}

/**
 * Refuses a port a host process listens on: DNAT would silently steal its traffic.
 * (Only a check at publish time: a listener that comes later loses to the rule.)
 */
function hostPortFree(p: PortMapping): Promise<boolean> {
  if ((p.protocol ?? 'tcp') !== 'tcp') return Promise.resolve(true);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port: p.hostPort, host: p.hostIp ?? '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Adds the rules for `ports` (replacing any of the same tag); PortConflictError if taken. */
export async function publishPorts(tag: string, ip: string, ports: readonly PortMapping[]): Promise<void> {
  if (ports.length === 0) return;
  await locked(async () => {
    const state = await natState();
    checkConflicts(state, ports, tag);
    const own = state.rules.filter((r) => r.tag === tag);
    for (const p of ports) {
      const ours = own.some((r) => r.hostPort === p.hostPort && r.protocol === (p.protocol ?? 'tcp'));
      if (!ours && !(await hostPortFree(p))) throw new PortConflictError(p.hostPort, p.protocol ?? 'tcp', 'a process on the host');
    }
    await restore(restoreScript(state, own, ports.map((p) => dnatRule(p, ip, tag))));
  });
}

/** Removes every rule carrying `tag`; nothing to do is fine. */
export async function unpublishPorts(tag: string): Promise<void> {
  await removeRules((r) => r.tag === tag);
}

/**
 * At engine open: removes rules that forward into this engine's subnet but belong to
 * none of `keepTags` (containers that stopped or vanished while no engine watched).
 */
export async function reconcilePorts(subnet: Cidr, keepTags: ReadonlySet<string>): Promise<number> {
  const size = 2 ** (32 - subnet.prefix);
  const base = ipToInt(subnet.network);
  const inSubnet = (dest: string): boolean => {
    const n = ipToInt(dest.split(':')[0]!);
    return n >= base && n < base + size;
  };
  return removeRules((r) => inSubnet(r.destination) && !keepTags.has(r.tag));
}

async function removeRules(match: (r: PublishedRule) => boolean): Promise<number> {
  return locked(async () => {
    const state = await natState();
    const gone = state.rules.filter(match);
    if (gone.length > 0) await restore(restoreScript(state, gone, []));
    return gone.length;
  });
}

/** The rules published right now (tests, operators). */
export async function publishedRules(): Promise<PublishedRule[]> {
  return (await natState()).rules;
}

/**
 * Removes PAAS-DNAT and its jumps when no rule is left in it (tests, tearing a host
 * down); publishPorts makes them again when needed.
 */
export async function removeDnatChainIfEmpty(): Promise<void> {
  await locked(async () => {
    const save = await exec('iptables-save', ['-t', 'nat']);
    const state = parseNatSave(save);
    const inChain = save.split('\n').filter((l) => l.startsWith(`-A ${DNAT_CHAIN} `));
    if (!state.chainExists || inChain.length > 0) return;
    const lines = ['*nat', ...[...state.jumps].map((j) => j.replace(/^-A /, '-D ')), `-X ${DNAT_CHAIN}`, 'COMMIT', ''];
    await restore(lines.join('\n'));
  });
}

