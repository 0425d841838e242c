/**
 * Dyno sizes under Heroku's names, with the memory and CPU limits a host enforces: one
 * table for the controller (validation), the scheduler (limits, placement) and the CLI
 * (`paas ps:type`). 'standard' and 'performance' are the names paas used before; they
 * are accepted on input and stored as their Heroku equivalent.
 */
const MiB = 1024 * 1024;

export interface SizeLimits {
  memoryBytes: number;
  /** CPU shares (1 = one core's worth). */
  cpus: number;
  /** Heroku's performance dynos are dedicated: paas places them like any other, but says so. */
  dedicated: boolean;
}

export const SIZE_NAMES = ['eco', 'basic', 'standard-1x', 'standard-2x', 'performance-m', 'performance-l'] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

export const SIZES: Readonly<Record<SizeName, SizeLimits>> = {
  eco: { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  basic: { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  'standard-1x': { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  'standard-2x': { memoryBytes: 1024 * MiB, cpus: 2, dedicated: false },
  'performance-m': { memoryBytes: 2560 * MiB, cpus: 2, dedicated: true },
  'performance-l': { memoryBytes: 14 * 1024 * MiB, cpus: 8, dedicated: true },
};

export const DEFAULT_SIZE: SizeName = 'standard-1x';
export const SIZE_ALIASES: Readonly<Record<string, SizeName>> = { standard: 'standard-1x', performance: 'performance-m' };

/** The stored name of a size given by a user (any case, old names too); null when unknown. */
export function normalizeSize(size: string): SizeName | null {
  const name = size.trim().toLowerCase();
  if (name in SIZE_ALIASES) return SIZE_ALIASES[name];
  return (SIZE_NAMES as readonly string[]).includes(name) ? (name as SizeName) : null;
}

/** The limits of a stored size; an unknown name (from a newer controller) gets standard-1x's. */
export function sizeLimits(size: string | undefined | null): SizeLimits {
  return SIZES[normalizeSize(size ?? DEFAULT_SIZE) ?? DEFAULT_SIZE];
}
