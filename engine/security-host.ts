/**
 * The host side of the escape tests (T20): what an escape would change, captured before
 * and compared after. The files of a canary directory and the runtime binaries by hash,
 * and the cgroup v1 release agents (CVE-2022-0492 rewrites one to run code as host root).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface HostFingerprint {
  /** name → sha256 of each file in the canary directory. */
  canaries: Record<string, string>;
  /** real path → sha256 of each binary. */
  binaries: Record<string, string>;
  /** path → content of every /sys/fs/cgroup/<hierarchy>/release_agent. */
  releaseAgents: Record<string, string>;
}

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

/** The runtime's executable as the engine runs it (first match on PATH), symlinks resolved. */
export async function runtimeBinary(name: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const p = await realpath(join(dir, name)).catch(() => undefined);
    if (p) return p;
  }
  throw new Error(`${name} is not on PATH`);
}

export async function hostFingerprint(canaryDir: string, binaries: string[]): Promise<HostFingerprint> {
  const fp: HostFingerprint = { canaries: {}, binaries: {}, releaseAgents: {} };
  for (const name of (await readdir(canaryDir)).sort()) fp.canaries[name] = await sha256(join(canaryDir, name));
  for (const b of binaries) fp.binaries[b] = await sha256(b);
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const agent = join('/sys/fs/cgroup', h, 'release_agent');
    const content = await readFile(agent, 'utf8').catch(() => undefined);
    if (content !== undefined) fp.releaseAgents[agent] = content;
  }
  return fp;
}
