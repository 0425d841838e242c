/**
 * How a container's process is started and how its exit status is learned.
 *
 * The runtime gives a container's exit status only to its parent. `runc run -d` would
 * leave the container orphaned (its status lost), so instead a tiny shell shim, in its
 * own session (detached: Ctrl-C of the daemon never reaches it), runs the runtime in
 * the foreground and writes the status to <id>/exit-code when the runtime returns, the
 * role containerd-shim plays for Docker. The container's stdout and stderr go straight
 * to <id>/output.log (file descriptors, no pipe through the daemon), so a container
 * outlives the daemon and the next daemon re-adopts it by reading these files.
 *
 * One-shot runs (builds) instead run the runtime as a child with pipes, so output
 * streams to the caller as it is written.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { OciRuntime } from './runtime';
import type { ContainerPaths } from './container-paths';

const SHIM = 'exitfile=$1; shift; "$@"; code=$?; echo "$code" > "$exitfile.tmp" && mv "$exitfile.tmp" "$exitfile"';

/** Starts the shim; returns its pid. */
export function launchDetached(rt: OciRuntime, paths: ContainerPaths, id: string): number {
  const log = openSync(paths.log(id), 'a');
  try {
    const child = spawn(
      '/bin/sh',
      ['-c', SHIM, 'paas-shim', paths.exitFile(id), rt.name, ...rt.args('run', '--bundle', paths.bundle(id), '--pid-file', paths.pidFile(id), id)],
      { detached: true, stdio: ['ignore', log, log] },
    );
    child.unref();
    if (!child.pid) throw new Error(`could not start the shim for ${id}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export type AttachedChild = ChildProcessByStdio<null, Readable, Readable>;

/** Runs the runtime in the foreground as our child, with piped stdout/stderr. */
export function launchAttached(rt: OciRuntime, paths: ContainerPaths, id: string): AttachedChild {
  return spawn(rt.name, rt.args('run', '--bundle', paths.bundle(id), '--pid-file', paths.pidFile(id), id), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The exit status written by the shim, or undefined while the container runs. */
export async function readExitFile(paths: ContainerPaths, id: string): Promise<number | undefined> {
  try {
    const text = (await readFile(paths.exitFile(id), 'utf8')).trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

export async function readPidFile(paths: ContainerPaths, id: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(paths.pidFile(id), 'utf8')).trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and still the process we started (its argv mentions `marker`). */
export async function processAlive(pid: number | undefined, marker: string): Promise<boolean> {
  if (!pid) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // A zombie (state Z) has exited; it only waits to be reaped.
    if (/^\d+ \(.*\) Z/.test(stat)) return false;
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or the time runs out. */
export async function pollFor<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(everyMs);
  }
}
