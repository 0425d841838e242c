/**
 * How a container's process is started and how its exit status is learned.
 *
 * The runtime gives a container's exit status only to its parent, and the container must
 * outlive the daemon. So each container gets a monitor: conmon (what podman and CRI-O
 * use), a ~1 MB C process in its own session. It runs `runtime create`, then stays as the
 * container's parent (subreaper): it holds the container's stdout and stderr pipes and
 * writes them to <id>/output.log with timestamps and stream names (k8s-file format, size
 * bounded), and writes the exit status to <exitsDir>/<id> when the container exits. The
 * next daemon re-adopts a container by reading these files. The runtime's own foreground
 * `run` would instead keep a ~10 MB Go process per container alive.
 *
 * conmon reports the created container's pid on a sync pipe (fd 3, `_OCI_SYNCPIPE`), so
 * there is no polling on the start path; `runtime start` then lets the process run.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { OciRuntime } from './runtime';
import type { ContainerPaths } from './container-paths';
import { MonitorFailedError } from './errors';
import { whichSync } from './runtime';

export const CONMON = whichSync('conmon');

export interface MonitorOptions {
  /** conmon starts a new log file when the current one would pass this many bytes. */
  logFileMaxBytes: number;
}

export function conmonArgs(rt: OciRuntime, paths: ContainerPaths, id: string, o: MonitorOptions): string[] {
  return [
    '--api-version', '1',
    '-c', id, '-u', id, '-n', id,
    '-r', rt.path, '--runtime-arg', `--root=${rt.root}`,
    '-b', paths.bundle(id),
    '-p', paths.pidFile(id),
    '-P', paths.monitorPidFile(id),
    '-l', `k8s-file:${paths.log(id)}`,
    '--log-size-max', String(o.logFileMaxBytes),
    '--exit-dir', paths.exitsDir,
    '--socket-dir-path', paths.socketsDir,
    // Logs are not worth an fsync on every exit and rotation (start and stop latency).
    '--no-sync-log',
  ];
}

/** The first message on conmon's sync pipe: {"data": <pid or -1>, "message": "…"}. */
export function parseSyncMessage(text: string): { pid: number; message?: string } | undefined {
  const m = /"data"\s*:\s*(-?\d+)/.exec(text);
  if (!m) return undefined;
  const msg = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  const out: { pid: number; message?: string } = { pid: Number(m[1]) };
  if (msg) out.message = JSON.parse(`"${msg[1]}"`) as string;
  return out;
}

function readSyncPipe(pipe: Readable, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      clearTimeout(timer);
      pipe.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, timeoutMs);
    pipe.setEncoding('utf8');
    pipe.on('data', (c: string) => {
      text += c;
      if (text.includes('\n') || parseSyncMessage(text)) done();
    });
    pipe.on('end', done);
    pipe.on('error', done);
  });
}

/** Starts conmon, which creates the container; returns once it exists (process not yet running). */
export async function createMonitored(rt: OciRuntime, paths: ContainerPaths, id: string, o: MonitorOptions): Promise<{ pid: number; monitorPid: number }> {
  const err = openSync(paths.monitorErr(id), 'w');
  let child;
  try {
    child = spawn(CONMON, conmonArgs(rt, paths, id, o), {
      // conmon writes an `oom` marker into its working directory when the container is
      // OOM-killed: in the container's own directory it goes with the container, instead
      // of littering wherever the daemon was started (a checkout, or / under systemd).
      cwd: paths.dir(id),
      detached: true,
      stdio: ['ignore', 'ignore', err, 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
    });
  } finally {
    closeSync(err);
  }
  const spawnError = new Promise<string>((resolve) => child.once('error', (e) => resolve(e.message)));
  child.unref();
  const text = await Promise.race([readSyncPipe(child.stdio[3] as Readable, 60_000), spawnError]);
  const sync = parseSyncMessage(text);
  if (!sync || sync.pid <= 0) {
    const stderr = await readFile(paths.monitorErr(id), 'utf8').catch(() => '');
    throw new MonitorFailedError(id, (sync?.message ?? (stderr.trim() || text.trim())) || 'conmon exited without a word');
  }
  const monitorPid = (await readPidFile(paths.monitorPidFile(id))) ?? 0;
  return { pid: sync.pid, monitorPid };
}

/** The exit status written by conmon, or undefined while the container runs. */
export async function readExitFile(paths: ContainerPaths, id: string): Promise<number | undefined> {
  try {
    const text = (await readFile(paths.exitFile(id), 'utf8')).trim();
    return text === '' ? undefined : Number(text);
  } catch {
    return undefined;
  }
}

export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
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
    return cmdline.split('\0').includes(marker);
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
