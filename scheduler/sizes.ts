/**
 * Dyno sizes, Heroku's names, mapped to the memory and CPU limits a host enforces.
 * The controller validates the names (controller/api/formation.ts); this is where they
 * become numbers. 'standard' and 'performance' are the names paas used before sizes
 * followed Heroku's, kept so old formations still mean something.
 */
const MiB = 1024 * 1024;

export interface SizeLimits {
  memoryBytes: number;
  cpus: number;
  /** Heroku's performance dynos are dedicated: paas places them like any other, but reports it. */
  dedicated: boolean;
}

export const SIZES: Readonly<Record<string, SizeLimits>> = {
  eco: { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  basic: { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  'standard-1x': { memoryBytes: 512 * MiB, cpus: 1, dedicated: false },
  'standard-2x': { memoryBytes: 1024 * MiB, cpus: 2, dedicated: false },
  'performance-m': { memoryBytes: 2560 * MiB, cpus: 2, dedicated: true },
  'performance-l': { memoryBytes: 14 * 1024 * MiB, cpus: 8, dedicated: true },
};

const ALIASES: Readonly<Record<string, string>> = { standard: 'standard-1x', performance: 'performance-m' };

/** The limits of a size; an unknown name (a controller newer than this scheduler) gets standard-1x. */
export function sizeLimits(size: string | undefined): SizeLimits {
  const name = (size ?? 'standard-1x').toLowerCase();
  return SIZES[ALIASES[name] ?? name] ?? SIZES['standard-1x'];
}

export function isKnownSize(size: string): boolean {
  const name = size.toLowerCase();
  return (ALIASES[name] ?? name) in SIZES;
}
