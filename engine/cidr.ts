/** IPv4 CIDR arithmetic for the bridge subnet and the IPAM. */
import { InvalidInputError } from '../shared';

export interface Cidr {
  /** The address as written (e.g. the bridge's own address 10.77.0.1). */
  address: string;
  prefix: number;
  /** Network address, e.g. 10.77.0.0. */
  network: string;
  /** e.g. 10.77.0.0/16, for iptables. */
  subnet: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new InvalidInputError(`not an IPv4 address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new InvalidInputError(`not an IPv4 address: ${ip}`);
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** Parses a.b.c.d/p; bridge subnets must have a prefix of 8-30 (`minPrefix` 0 for any address). */
export function parseCidr(cidr: string, minPrefix = 8): Cidr {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  if (!address || !Number.isInteger(prefix) || prefix < minPrefix || prefix > (minPrefix === 0 ? 32 : 30)) {
    throw new InvalidInputError(`bridge CIDR must look like 10.77.0.1/16 (prefix 8-30): ${cidr}`);
  }
  const size = 2 ** (32 - prefix);
  const base = Math.floor(ipToInt(address) / size) * size;
  const network = intToIp(base);
  return { address, prefix, network, subnet: `${network}/${prefix}` };
}

/**
 * The lowest usable address of the subnet that is neither the network, the broadcast,
 * the bridge's own address nor in `used`. Undefined when the subnet is full.
 */
export function lowestFreeAddress(cidr: Cidr, used: ReadonlySet<string>): string | undefined {
  const size = 2 ** (32 - cidr.prefix);
  const base = ipToInt(cidr.network);
  const own = ipToInt(cidr.address);
  for (let n = base + 1; n < base + size - 1; n++) {
    if (n === own) continue;
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Whether two subnets share any address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const range = (c: Cidr): [number, number] => {
    const start = ipToInt(c.network);
    return [start, start + 2 ** (32 - c.prefix) - 1];
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}
