/**
 * One-shot containers (builds): create, start, stream the output to the caller as it is
 * written, wait, and always remove, whether the process exits, times out (SIGKILL,
 * exit 137), is aborted, or something throws. runToCompletion() is the middle part, for
 * callers that need the stopped container before it goes (build steps that commit it).
 */
import type { Logger } from '../shared';
import type { ContainerSpec, RunOptions, RunResult } from './types';
import type { ContainerManager } from './containers';
import { RunAbortedError } from './errors';
import { pumpOutput } from './lifecycle-attached';

export interface Completion extends RunResult {
  aborted: boolean;
  timedOut: boolean;
}

/** Starts a created container, streams its output, and resolves when it has stopped. */
export async function runToCompletion(manager: ContainerManager, id: string, options: RunOptions = {}): Promise<Completion> {
  let timedOut = false;
  let aborted = false;
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    void manager.d.runtime.kill(id, 'KILL', true).catch((err) => manager.d.log.warn('kill failed', { id, err }));
  };
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  try {
    await manager.start(id);
    const out = options.output;
    const err = options.stderr ?? out;
    const pumped = pumpOutput(manager, id, { stdout: (c) => void out?.write(c), stderr: (c) => void err?.write(c) }, 'current');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs);
    }
    const result = await manager.wait(id);
    await pumped;
    return { exitCode: timedOut ? 137 : result.exitCode, oomKilled: result.oomKilled, timedOut, aborted };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    // Something threw while it ran: kill it and record the exit.
    if (manager.records.get(id)?.state === 'running') await manager.stop(id, 0).catch(() => undefined);
  }
}

export async function runOneShot(manager: ContainerManager, log: Logger, spec: ContainerSpec, options: RunOptions = {}): Promise<RunResult> {
  if (options.signal?.aborted) throw new RunAbortedError(spec.id);
  await manager.create(spec);
  try {
    const r = await runToCompletion(manager, spec.id, options);
    if (r.aborted) throw new RunAbortedError(spec.id);
    return { exitCode: r.exitCode, oomKilled: r.oomKilled };
  } finally {
    await manager.remove(spec.id).catch((err) => log.error('could not remove one-shot container', { id: spec.id, err }));
  }
}
