/**
 * One-shot containers (builds): create, start with the runtime as our child so output
 * streams to the caller as it is written, wait, and always remove, whether the process
 * exits, times out (SIGKILL, exit 137), is aborted, or something throws.
 */
import type { Logger } from '../shared';
import type { ContainerSpec, RunOptions, RunResult } from './types';
import type { ContainerManager } from './containers';
import type { AttachedChild } from './launcher';
import type { OciRuntime } from './runtime';
import { RunAbortedError } from './errors';

export async function runOneShot(
  manager: ContainerManager,
  runtime: OciRuntime,
  log: Logger,
  spec: ContainerSpec,
  options: RunOptions = {},
): Promise<RunResult> {
  if (options.signal?.aborted) throw new RunAbortedError(spec.id);
  await manager.create(spec);
  let timedOut = false;
  let aborted = false;
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    void runtime.kill(spec.id, 'KILL', true).catch((err) => log.warn('kill failed', { id: spec.id, err }));
  };
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  try {
    let exited!: Promise<number>;
    await manager.start(spec.id, (child: AttachedChild) => {
      exited = new Promise<number>((resolve) => {
        child.on('error', () => resolve(127));
        child.on('close', (code, sig) => resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)));
      });
      for (const stream of [child.stdout, child.stderr]) {
        stream.on('data', (chunk: Buffer) => options.output?.write(chunk));
      }
    });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, options.timeoutMs);
    }
    const code = await exited;
    await manager.finishExit(spec.id, code);
    if (aborted) throw new RunAbortedError(spec.id);
    const info = manager.inspect(spec.id);
    return { exitCode: timedOut ? 137 : code, oomKilled: info?.oomKilled ?? false };
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    // Something threw while it ran: kill it and record the exit ourselves.
    if (manager.records.get(spec.id)?.state === 'running') {
      await runtime.kill(spec.id, 'KILL', true).catch(() => undefined);
      await manager.finishExit(spec.id, null).catch(() => undefined);
    }
    await manager.remove(spec.id).catch((err) => log.error('could not remove one-shot container', { id: spec.id, err }));
  }
}
