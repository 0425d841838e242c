/**
 * Hosts' container subnets: each host gets one /24 of the cluster's pool
 * (PAAS_HOST_SUBNET_POOL), kept per host id in host_subnets so a rejoin gets the same
 * one. The table's unique subnet column makes two controllers admitting two hosts at
 * once pick different ones (the loser of a race retries with the next free /24).
 */
import { UniqueConstraintError } from 'sequelize';
import { intToIp, ipToInt, overlaps, parseCidr } from '../../engine/cidr';
import { ConflictError, InvalidInputError } from '../../shared';
import { HostSubnet } from './join-models';

const HOST_PREFIX = 24;

/** The first /24 of `pool` that is neither taken nor overlapping a reserved subnet; undefined when the pool is full. */
export function firstFreeSubnet(pool: string, taken: readonly string[], reserved: readonly string[] = []): string | undefined {
  const p = parseCidr(pool, 0);
  if (p.prefix > HOST_PREFIX) throw new InvalidInputError(`the host subnet pool ${pool} must be a /${HOST_PREFIX} or larger, like 10.200.0.0/16`, 'bad_config');
  const used = new Set(taken);
  const blocked = reserved.map((r) => parseCidr(r.includes('/') ? r : `${r}/32`, 0));
  const base = ipToInt(p.network);
  for (let n = base; n < base + 2 ** (32 - p.prefix); n += 2 ** (32 - HOST_PREFIX)) {
    const subnet = `${intToIp(n)}/${HOST_PREFIX}`;
    const c = parseCidr(subnet, 0);
    if (!used.has(subnet) && !blocked.some((b) => overlaps(b, c))) return subnet;
  }
  return undefined;
}

/** The host's subnet: the one it had, else a new one from the pool. */
export async function hostSubnet(hostId: string, pool: string, reserved: readonly string[] = []): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const had = await HostSubnet.findByPk(hostId);
    if (had) return had.subnet;
    const taken = (await HostSubnet.findAll({ attributes: ['subnet'] })).map((r) => r.subnet);
    const subnet = firstFreeSubnet(pool, taken, reserved);
    if (!subnet) throw new ConflictError(`The host subnet pool ${pool} is full (${taken.length} hosts). Set a larger PAAS_HOST_SUBNET_POOL on the control plane.`, 'subnet_pool_full');
    try {
      await HostSubnet.create({ hostId, subnet });
      return subnet;
    } catch (err) {
      // Another controller took this subnet (or admitted this host) meanwhile: look again.
      if (!(err instanceof UniqueConstraintError) || attempt >= 5) throw err;
    }
  }
}

/** The bridge's own address in a host subnet: its first address (10.200.3.0/24 → 10.200.3.1/24). */
export function bridgeCidrOf(subnet: string): string {
  const c = parseCidr(subnet, 0);
  return `${intToIp(ipToInt(c.network) + 1)}/${c.prefix}`;
}
