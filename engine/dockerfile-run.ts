/**
 * A Dockerfile RUN: a one-shot container of the build's current image whose writable
 * layer, when the command succeeds and changed files, becomes the step's new layer.
 * Like engine.run() (one-shot.ts), output streams as written and the container is
 * always removed, but only after its upperdir has been committed.
 */
import type { Writable } from 'node:stream';
import type { Logger } from '../shared';
import type { ContainerSpec } from './types';
import type { AttachedChild } from './containers';
import { RunAbortedError } from './errors';
import { importUpperDir, type CommitDeps } from './commit-container';

export interface RunStepDeps extends CommitDeps {
  log: Logger;
}

export interface RunStepResult {
  exitCode: number;
  /** The new layer, when the command succeeded and changed files. */
  diffId?: string;
}

export async function runStep(d: RunStepDeps, spec: ContainerSpec, output: Writable, signal?: AbortSignal): Promise<RunStepResult> {
  if (signal?.aborted) throw new RunAbortedError(spec.id);
  await d.manager.create(spec);
  let aborted = false;
  const kill = (): void => {
    void d.runtime.kill(spec.id, 'KILL', true).catch((err) => d.log.warn('kill failed', { id: spec.id, err }));
  };
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  try {
    let exited!: Promise<number>;
    await d.manager.start(spec.id, (child: AttachedChild) => {
      exited = new Promise<number>((resolve) => {
        child.on('error', () => resolve(127));
        child.on('close', (code: number | null, sig: NodeJS.Signals | null) => resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)));
      });
      for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => output.write(chunk));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const exitCode = await exited;
    await d.manager.finishExit(spec.id, exitCode);
    if (aborted) throw new RunAbortedError(spec.id);
    if (exitCode !== 0) return { exitCode };
    // Stopped: the overlay is unmounted, the upperdir holds exactly what the command changed.
    const diffId = await importUpperDir(d.images, d.paths.upper(spec.id), true);
    return diffId ? { exitCode, diffId } : { exitCode };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (d.manager.records.get(spec.id)?.state === 'running') {
      await d.runtime.kill(spec.id, 'KILL', true).catch(() => undefined);
      await d.manager.finishExit(spec.id, null).catch(() => undefined);
    }
    await d.manager.remove(spec.id).catch((err) => d.log.error('could not remove build container', { id: spec.id, err }));
  }
}
