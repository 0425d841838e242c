/**
 * The OCI runtime (runc or crun) underneath the engine, the way Docker delegates to
 * runc. paas keeps its containers in its own runtime root (<dataDir>/runtime), separate
 * from any other user of runc on the host.
 */
import { accessSync, constants } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { RuntimeName } from './types';
import { execRaw, exec } from './exec';
import { CommandFailedError } from './errors';

export interface RuntimeState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

const gone = (stderr: string): boolean => /does not exist|not found|No such file|container .* is not running/i.test(stderr);

/** The absolute path of an executable on $PATH (conmon needs one), or the bare name. */
export function whichSync(name: string): string {
  const dirs = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // not here
    }
  }
  return name;
}

export class OciRuntime {
  /** Absolute path of the binary. */
  readonly path: string;

  constructor(
    readonly name: RuntimeName,
    readonly root: string,
  ) {
    this.path = whichSync(name);
  }

  /** argv (after the binary) for a runtime command with our root. */
  args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  /** Where the runtime keeps its record of a container (exists from create to delete). */
  stateDir(id: string): string {
    return join(this.root, id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await execRaw(this.name, this.args('state', id));
    if (r.code !== 0) {
      if (gone(r.stderr)) return undefined;
      throw new CommandFailedError(`${this.name} state ${id}`, r.code, r.stderr);
    }
    return JSON.parse(r.stdout) as RuntimeState;
  }

  /** Lets a created container's init run the process (the runtime's `start`). */
  async start(id: string): Promise<void> {
    await exec(this.name, this.args('start', id));
  }

  /**
   * What `start` does, without spawning the runtime (~10 ms less on every start): a
   * created container's init waits, blocked, to write one byte into <state>/exec.fifo
   * and exec the process once someone reads it; `start` reads it and removes the fifo
   * (the runtime then reports the container as running). runc and crun both work this
   * way; without a fifo (another runtime, a changed layout) this falls back to `start`.
   */
  async startViaFifo(id: string, timeoutMs = 10_000): Promise<void> {
    const fifo = join(this.stateDir(id), 'exec.fifo');
    let fh;
    try {
      fh = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      return this.start(id);
    }
    try {
      const buf = Buffer.alloc(1);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const n = await fh.read(buf, 0, 1, null).then((r) => r.bytesRead, () => 0);
        if (n > 0) break;
        // Nothing yet: the writer is still between its open and its write.
        if (Date.now() > deadline) throw new CommandFailedError(`${this.name} start ${id} (exec fifo)`, null, 'the container never signalled through its exec fifo');
        await new Promise((r) => setTimeout(r, 1));
      }
    } finally {
      await fh.close();
      await unlink(fifo).catch(() => undefined);
    }
  }

  /** Sends a signal to the init process, or with `all` to every process of the container. */
  async kill(id: string, signal: string, all = false): Promise<void> {
    const r = await execRaw(this.name, this.args('kill', ...(all ? ['--all'] : []), id, signal));
    if (r.code !== 0 && !gone(r.stderr)) throw new CommandFailedError(`${this.name} kill ${id}`, r.code, r.stderr);
  }

  /** Deletes the runtime's record (and cgroup) of a container; a missing one is fine. */
  async delete(id: string): Promise<void> {
    const r = await execRaw(this.name, this.args('delete', '--force', id));
    if (r.code !== 0 && !gone(r.stderr)) throw new CommandFailedError(`${this.name} delete ${id}`, r.code, r.stderr);
  }

  async version(): Promise<string> {
    return (await exec(this.name, ['--version'])).split('\n')[0] ?? this.name;
  }
}
