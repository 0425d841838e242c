/**
 * `paas host --upgrade`, Flynn's way (flynn-host update): the NEW binary proves itself
 * first (host-check.ts) and only then asks the running agent to hand over. A binary
 * that fails its checks (or cannot even load) exits with the reason and the old agent
 * never learns of it. Handing over is a SIGTERM to the pid holding the data-dir lock:
 * the old agent stops cleanly (its last heartbeat says `restarting`, its containers run
 * on) and lets go of the lock, which the new one waits for and takes.
 */
import { lockHolder } from '../engine';
import type { PaasConfig } from '../shared';
import { engineDirOf, engineLockOf } from './engine-dir';
import { checkHost } from './host-check';

/** How long the new agent waits for the old one to stop (systemd's TimeoutStopSec is 90 s). */
export const HANDOVER_WAIT_MS = 120_000;

export type Handover = { ok: true; message: string; lockWaitMs: number } | { ok: false; message: string };

export async function prepareHandover(config: PaasConfig, signal: (pid: number) => void = (pid) => process.kill(pid, 'SIGTERM')): Promise<Handover> {
  const lock = engineLockOf(engineDirOf(config));
  const check = await checkHost(config);
  if (check.problems.length) {
    const pid = await lockHolder(lock);
    return {
      ok: false,
      message: `Upgrade refused: this paas failed its self-check:\n${check.problems.map((p) => `  ${p}`).join('\n')}\n${pid ? `The running agent (pid ${pid}) was not stopped.` : 'No agent runs on this data dir; nothing was stopped.'}`,
    };
  }
  const pid = await lockHolder(lock);
  if (!pid) return { ok: true, message: 'Self-check passed; no agent runs on this data dir: starting.', lockWaitMs: 0 };
  if (pid === process.pid) return { ok: false, message: 'Upgrade refused: this process already holds the data dir.' };
  signal(pid);
  return { ok: true, message: `Self-check passed. Handing over from the running agent (pid ${pid})...`, lockWaitMs: HANDOVER_WAIT_MS };
}
