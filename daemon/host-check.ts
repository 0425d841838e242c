/**
 * An engine host's self-check (`paas host:check`, and the first step of `paas host
 * --upgrade`): what this paas binary must be able to do before it may replace the agent
 * running on the data dir. It reads and changes nothing the running agent uses: the
 * configuration loads and suits the host role, the data dir's format is one this binary
 * reads, every container's state file parses, and an OCI runtime runs a container here.
 * An upgrade whose new binary fails any of these is refused and the old agent runs on.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkDataFormat, DATA_FORMAT } from '../engine';
import { detectRuntime } from '../engine/runtime-detect';
import { errorMessage, type PaasConfig } from '../shared';
import { engineDirOf } from './engine-dir';
import { roleProblems } from './node-requirements';

export interface HostCheck {
  /** What was checked and found good, one line each (shown by paas host:check). */
  passed: string[];
  /** What is wrong; empty when this binary may take over. */
  problems: string[];
}

/** Container state files that do not parse (their containers could not be re-adopted). */
async function unreadableStates(containersDir: string): Promise<{ count: number; bad: string[] }> {
  const ids = await readdir(containersDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const bad: string[] = [];
  for (const id of ids) {
    const text = await readFile(path.join(containersDir, id, 'state.json'), 'utf8').catch(() => undefined);
    if (text === undefined) continue; // being created or removed
    try {
      const r = JSON.parse(text) as { id?: unknown; state?: unknown };
      if (typeof r.id !== 'string' || typeof r.state !== 'string') bad.push(id);
    } catch {
      bad.push(id);
    }
  }
  return { count: ids.length, bad };
}

export async function checkHost(config: PaasConfig): Promise<HostCheck> {
  const passed: string[] = [];
  const problems: string[] = [];
  const step = async (fn: () => Promise<string | undefined>): Promise<void> => {
    try {
      const ok = await fn();
      if (ok) passed.push(ok);
    } catch (err) {
      problems.push(errorMessage(err));
    }
  };
  const roles = config.roles.includes('host') ? config.roles : [...config.roles, 'host' as const];
  const bad = roleProblems({ ...config, roles });
  if (bad.length) problems.push(...bad);
  else passed.push(`configuration loaded (host ${config.hostId}, roles ${roles.join(', ')})`);
  const engineDir = engineDirOf(config);
  await step(async () => `data dir ${engineDir}: format ${await checkDataFormat(engineDir)} (this paas reads up to ${DATA_FORMAT})`);
  await step(async () => {
    const { count, bad: broken } = await unreadableStates(path.join(engineDir, 'containers'));
    if (broken.length) throw new Error(`the state of ${broken.length} container(s) in ${engineDir} cannot be read: ${broken.slice(0, 5).join(', ')}`);
    return `engine state: ${count} container(s) readable`;
  });
  await step(async () => {
    // The probe runs a throwaway container under the engine's runtime root, as every start does.
    const runtime = await detectRuntime(config.runtime, path.join(engineDir, 'runtime'), path.join(engineDir, 'tmp'));
    return `container runtime: ${runtime}`;
  });
  return { passed, problems };
}
