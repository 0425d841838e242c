/** Where a container's files live: <dataDir>/containers/<id>/…, plus conmon's shared dirs. */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';

export class ContainerPaths {
  /** conmon writes <exitsDir>/<id> when a container exits (one dir: one inotify watch for all). */
  readonly exitsDir: string;
  /** conmon's attach-socket symlinks (<socketsDir>/<id> -> bundle); paas does not use them. */
  readonly socketsDir: string;

  constructor(readonly containersDir: string) {
    this.exitsDir = join(dirname(containersDir), 'exits');
    this.socketsDir = join(dirname(containersDir), 'sockets');
  }

  dir(id: string): string {
    return join(this.containersDir, id);
  }
  state(id: string): string {
    return join(this.dir(id), 'state.json');
  }
  /** The OCI bundle is the container directory itself: config.json + rootfs/. */
  bundle(id: string): string {
    return this.dir(id);
  }
  rootfs(id: string): string {
    return join(this.dir(id), 'rootfs');
  }
  upper(id: string): string {
    return join(this.dir(id), 'upper');
  }
  work(id: string): string {
    return join(this.dir(id), 'work');
  }
  /** The current log file, written by conmon (k8s-file format: time stream P|F line). */
  log(id: string): string {
    return join(this.dir(id), 'output.log');
  }
  /** The file the log was rotated from last (read before `log`). */
  logPrevious(id: string): string {
    return join(this.dir(id), 'output.log.1');
  }
  /** A hard link to the current log's inode, so the file conmon rotates away is kept. */
  logAnchor(id: string): string {
    return join(this.dir(id), 'output.log.cur');
  }
  /** Written by conmon when the container exits: the exit status. */
  exitFile(id: string): string {
    return join(this.exitsDir, id);
  }
  /** The container's init pid, written by the runtime. */
  pidFile(id: string): string {
    return join(this.dir(id), 'pid');
  }
  /** conmon's own pid (it daemonizes, so the pid we spawned is not it). */
  monitorPidFile(id: string): string {
    return join(this.dir(id), 'conmon.pid');
  }
  /** conmon's stderr: why a create failed. */
  monitorErr(id: string): string {
    return join(this.dir(id), 'conmon.err');
  }
  socket(id: string): string {
    return join(this.socketsDir, id);
  }
  etc(id: string, name: 'resolv.conf' | 'hosts' | 'hostname'): string {
    return join(this.dir(id), name);
  }
}

/**
 * A short host-unique name for per-container kernel objects (netns, veth: 15 chars
 * max), derived from the data dir and the id so two data dirs never collide.
 */
export function shortName(containersDir: string, id: string): string {
  return createHash('sha256').update(`${containersDir}\0${id}`).digest('hex').slice(0, 10);
}
