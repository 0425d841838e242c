/**
 * Builds the C probes of the security tests (security-probe.c, security-attack.c) into
 * static binaries on the host, so a container can run them from a read-only bind mount
 * whatever its image holds. Test support: gcc and libc6-dev must be installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from './exec';

export type ProbeName = 'security-probe' | 'security-attack';

/** The C source next to this module: engine/ when run from source, ../../engine from dist/engine. */
export function probeSource(name: ProbeName): string {
  for (const dir of [__dirname, join(__dirname, '..', '..', 'engine')]) {
    const p = join(dir, `${name}.c`);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name}.c not found near ${__dirname}`);
}

/** Why the probes cannot be built here (no compiler), or undefined when they can. */
export async function probeBuildSkipReason(): Promise<string | undefined> {
  try {
    await exec('gcc', ['--version']);
    return undefined;
  } catch {
    return 'gcc is not installed (scripts/install-deps.sh installs gcc and libc6-dev)';
  }
}

/** Compiles `name` statically into `outDir`; returns the binary's path. */
export async function buildProbe(name: ProbeName, outDir: string): Promise<string> {
  const out = join(outDir, name);
  await exec('gcc', ['-static', '-O2', '-Wall', '-o', out, probeSource(name)]);
  return out;
}
