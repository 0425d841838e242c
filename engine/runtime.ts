/**
 * The OCI runtime (runc or crun) underneath the engine, the way Docker delegates to
 * runc. paas keeps its containers in its own runtime root (<dataDir>/runtime), separate
 * from any other user of runc on the host.
 */
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

export class OciRuntime {
  constructor(
    readonly name: RuntimeName,
    readonly root: string,
  ) {}

  /** argv (after the binary) for a runtime command with our root. */
  args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await execRaw(this.name, this.args('state', id));
    if (r.code !== 0) {
      if (gone(r.stderr)) return undefined;
      throw new CommandFailedError(`${this.name} state ${id}`, r.code, r.stderr);
    }
    return JSON.parse(r.stdout) as RuntimeState;
  }

  /** Sends a signal to the init process, or with `all` to every process of the container. */
  async kill(id: string, signal: 'TERM' | 'KILL', all = false): Promise<void> {
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
