/** Image config rules: how a committed layer's config combines with its base's. */
import type { ImageConfig } from './types';

/** KEY=value lists merged by key; later lists win, order of first appearance kept. */
export function mergeEnv(...lists: (string[] | undefined)[]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) {
    for (const entry of list ?? []) {
      const eq = entry.indexOf('=');
      const key = eq === -1 ? entry : entry.slice(0, eq);
      map.set(key, eq === -1 ? '' : entry.slice(eq + 1));
    }
  }
  return [...map].map(([k, v]) => `${k}=${v}`);
}

/** The new config's fields win; Env and Labels are merged key by key (like a Dockerfile's ENV). */
export function mergeImageConfig(base: ImageConfig, next: ImageConfig): ImageConfig {
  const merged: ImageConfig = { ...base, ...next };
  if (base.Env || next.Env) merged.Env = mergeEnv(base.Env, next.Env);
  if (base.Labels || next.Labels) merged.Labels = { ...base.Labels, ...next.Labels };
  return merged;
}

/** Parses "uid:gid" or "uid" (numeric only; names would need the image's /etc/passwd). */
export function parseUser(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (!m) return undefined;
  const uid = Number(m[1]);
  return { uid, gid: m[2] === undefined ? uid : Number(m[2]) };
}
