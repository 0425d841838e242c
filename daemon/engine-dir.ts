/**
 * A node's claim on its engine data dir (<data dir>/engine), taken before anything else
 * starts and held until the node has stopped: one agent per data dir (two would adopt
 * the same containers and fight over them), and a dir written by a newer paas refused.
 * An upgrade's new agent waits for the old one to let go (`lockWaitMs`).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { checkDataFormat, holdFileLock, LockHeldError, openDataFormat } from '../engine';
import type { PaasConfig } from '../shared';
import type { StopSteps } from './host-engine';

export const engineDirOf = (config: Pick<PaasConfig, 'dataDir'>): string => path.join(config.dataDir, 'engine');
export const engineLockOf = (engineDir: string): string => path.join(engineDir, 'agent.lock');

export async function claimEngineDir(engineDir: string, stops: StopSteps, lockWaitMs = 0): Promise<void> {
  await checkDataFormat(engineDir);
  await mkdir(engineDir, { recursive: true, mode: 0o700 });
  let lock;
  try {
    lock = await holdFileLock(engineLockOf(engineDir), `the data dir ${engineDir}`, lockWaitMs);
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    throw new LockHeldError(
      `${err.message}. Only one paas runs on a data dir: stop that one first${err.pid ? ` (kill ${err.pid}, or systemctl stop paas-host)` : ''}, or replace it with paas host --upgrade`,
      err.pid,
    );
  }
  // Released last: stop steps run in reverse, and the engine must be closed before the next agent opens it.
  stops.push(() => lock.release());
  await openDataFormat(engineDir);
}
