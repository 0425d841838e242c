/**
 * Dyno names as Heroku shows them: `web.1` … `web.N` per process type, stable across
 * restarts and deploys (a replacement takes the name of the process it replaces, or
 * the lowest free index), and `run.NNNN` for one-off processes (named by the controller).
 */

/** `web.3` → 3; anything else → undefined. */
export function dynoIndex(dyno: string | undefined, type: string): number | undefined {
  if (!dyno || !dyno.startsWith(`${type}.`)) return undefined;
  const n = Number(dyno.slice(type.length + 1));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The next `count` names for new processes of `type`, given the names already taken
 * by processes that keep running: the lowest free indexes, so web.2 that crashed comes
 * back as web.2 and a scale from 2 to 4 adds web.3 and web.4.
 */
export function nextDynoNames(type: string, taken: Iterable<string | undefined>, count: number): string[] {
  const used = new Set<number>();
  for (const name of taken) {
    const i = dynoIndex(name, type);
    if (i !== undefined) used.add(i);
  }
  const names: string[] = [];
  for (let i = 1; names.length < count; i++) if (!used.has(i)) names.push(`${type}.${i}`);
  return names;
}

/** A job id unique across the cluster that still says what it is: `hello-web-1-3f9a0c21b4`. */
export function jobId(app: string, dyno: string, random: string): string {
  const clean = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const head = `${clean(app)}-${clean(dyno)}`.slice(0, 62 - random.length - 1).replace(/-+$/, '');
  return `${head || 'job'}-${random}`;
}
