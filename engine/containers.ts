/**
 * The container manager: create, start, stop, kill, wait, remove, and the bookkeeping of
 * exits. Each container's record lives in <dataDir>/containers/<id>/state.json and
 * changes only through the state machine (container-state.ts), one operation per
 * container at a time (KeyedMutex). Kernel objects (overlay mount, netns, veth, cgroup)
 * exist only while the container runs; the IP address is kept from create to remove.
 *
 * Start is on the hot path of every deploy and scale, so its independent steps run in
 * parallel (mount, network, log files) and nothing is torn down on it: what a stopped
 * container held is released in the background (lifecycle-teardown.ts), and a later
 * start, create or remove of the same id waits for that first.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { InvalidInputError, type Logger } from '../shared';
import type { ContainerInfo, ContainerSpec, RunResult, StopOptions } from './types';
import { ContainerExistsError, ContainerNotFoundError, ContainerNotRunningError, InvalidTransitionError } from './errors';
import { canTransition, toInfo, transition, type ContainerRecord } from './container-state';
import { ContainerPaths, shortName } from './container-paths';
import { cgroupPathOf, writeBundleFiles, type HostSettings } from './container-config';
import { networkUp, plannedNetwork, type BridgeSettings } from './container-network';
import { lowestFreeAddress } from './cidr';
import { netNames } from './netns';
import { exists, readJson, writeJsonAtomic } from './fs-util';
import { KeyedMutex } from '../shared/keyed-mutex';
import { mountOverlay } from './overlay';
import { createMonitored } from './launcher';
import { attachedChild, type AttachedChild } from './lifecycle-attached';
import { Teardowns } from './lifecycle-teardown';
import { signalName } from './lifecycle-signals';
import { prepareLog } from './logs-files';
import { StartTimer } from './lifecycle-timing';
import type { ImageStore } from './image-store';
import type { OciRuntime } from './runtime';
import type { OomWatcher } from './oom-watcher';

export type { AttachedChild } from './lifecycle-attached';

const ID_RE = /^[a-z0-9][a-z0-9.-]{0,62}$/;
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export interface ManagerDeps {
  paths: ContainerPaths;
  runtime: OciRuntime;
  images: ImageStore;
  bridge: BridgeSettings;
  oom: OomWatcher;
  host: HostSettings;
  log: Logger;
  /** Bound on each container's kept output (default 10 MiB). */
  logMaxBytes?: number;
  /** The app isolation rules (isolation.ts): brought up to date before every start, after every remove. */
  firewall?: { refresh(): Promise<void> };
}

export class ContainerManager {
  readonly records = new Map<string, ContainerRecord>();
  /** Called after each start (the log publisher follows the new container). */
  onStarted: (id: string) => void = () => undefined;
  /** Where the last starts spent their time (bench, debugging). */
  readonly timings = new StartTimer();
  private readonly locks = new KeyedMutex();
  private readonly exitListeners = new Set<(info: ContainerInfo) => void>();
  private readonly teardowns: Teardowns;

  constructor(readonly d: ManagerDeps) {
    this.teardowns = new Teardowns(d.paths, d.runtime, d.log);
  }

  private names(id: string): ReturnType<typeof netNames> {
    return netNames(shortName(this.d.paths.containersDir, id));
  }

  private async save(r: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.d.paths.state(r.id), r);
  }

  get(id: string): ContainerRecord {
    const r = this.records.get(id);
    if (!r) throw new ContainerNotFoundError(id);
    return r;
  }

  /** The record of a running container, else a typed error. */
  running(id: string): ContainerRecord {
    const r = this.get(id);
    if (r.state !== 'running') throw new ContainerNotRunningError(id, r.state);
    return r;
  }

  /**
   * Reads every state.json (re-adoption after a daemon restart). A directory without one
   * is a create the daemon died in (killed between its mkdir and its first save): nothing
   * else knows of it, so it goes, or it would stay forever and its id could not be reused.
   * Callers hold the data-dir lock, so no other engine is creating in it meanwhile.
   */
  async load(): Promise<void> {
    for (const d of [this.d.paths.containersDir, this.d.paths.exitsDir, this.d.paths.socketsDir]) await mkdir(d, { recursive: true });
    for (const id of await readdir(this.d.paths.containersDir)) {
      const r = await readJson<ContainerRecord>(this.d.paths.state(id)).catch(() => undefined);
      if (r && r.state !== 'removed') {
        this.records.set(id, r);
        continue;
      }
      // (A half-made one never reached the runtime: that happens in start(), which needs the record.)
      if (!r) this.d.log.warn('removing a container left half-created', { id });
      await rm(this.d.paths.dir(id), { recursive: true, force: true });
    }
  }

  onExit(listener: (info: ContainerInfo) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  inspect(id: string): ContainerInfo | undefined {
    const r = this.records.get(id);
    return r && toInfo(r);
  }

  list(): ContainerInfo[] {
    return [...this.records.values()].map(toInfo);
  }

  /** The lowest free bridge address; serialised so two creates never get the same one. */
  private allocateIp(r: ContainerRecord): Promise<void> {
    return this.locks.run('ipam', async () => {
      const used = new Set([...this.records.values()].filter((o) => o.ip && o !== r).map((o) => o.ip!));
      for (const ip of this.teardowns.reservedIps()) used.add(ip);
      const ip = lowestFreeAddress(this.d.bridge.cidr, used);
      if (!ip) throw new InvalidInputError(`no free address left in ${this.d.bridge.cidr.subnet}`, 'subnet_full');
      r.ip = ip;
      await this.save(r);
    });
  }

  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    if (!ID_RE.test(spec.id)) throw new InvalidInputError(`invalid container id: ${spec.id}`);
    const image = await this.d.images.require(spec.image);
    await this.d.images.lowerDirs(image);
    return this.locks.run(spec.id, async () => {
      if (this.records.has(spec.id)) throw new ContainerExistsError(spec.id);
      await this.teardowns.settled(spec.id); // a removed container of the same id
      const mode = spec.network ?? 'bridge';
      const planned = plannedNetwork(mode, this.names(spec.id));
      const r: ContainerRecord = { id: spec.id, spec, state: 'created', createdAt: new Date().toISOString() };
      if (planned.netns) r.netns = planned.netns;
      if (planned.hostVeth) r.hostVeth = planned.hostVeth;
      await mkdir(this.d.paths.dir(spec.id), { recursive: true });
      this.records.set(spec.id, r);
      try {
        if (mode === 'bridge') await this.allocateIp(r);
        await writeBundleFiles(this.d.paths, spec, image, { netnsPath: planned.path, ip: r.ip }, this.d.host);
        await this.save(r);
      } catch (err) {
        this.records.delete(spec.id);
        await rm(this.d.paths.dir(spec.id), { recursive: true, force: true });
        throw err;
      }
      return toInfo(r);
    });
  }

  /**
   * Mounts, wires the network, has conmon create the container, starts it. `attach`
   * (one-shot runs and build steps) gets a child-process-like view of the output and exit.
   */
  async start(id: string, attach?: (child: AttachedChild) => void): Promise<ContainerInfo> {
    await this.teardowns.settled(id);
    const info = await this.locks.run(id, async () => {
      const r = this.get(id);
      if (r.state === 'running') return toInfo(r);
      if (!canTransition(r.state, 'running')) throw new InvalidTransitionError(id, r.state, 'running');
      const p = this.d.paths;
      const t = this.timings.begin(id);
      try {
        const image = await this.d.images.require(r.spec.image);
        const lower = await this.d.images.lowerDirs(image);
        t.mark('image');
        await Promise.all([
          mountOverlay({ lower, upper: p.upper(id), work: p.work(id), target: p.rootfs(id) }).then(() => t.mark('overlay')),
          networkUp(r, this.names(id), this.d.bridge).then(() => t.mark('network')),
          // Before any process runs behind the address: its app's peers (and only they) reach it.
          this.d.firewall?.refresh().then(() => t.mark('firewall')),
          rm(p.exitFile(id), { force: true }),
          rm(p.pidFile(id), { force: true }),
          prepareLog(p, id),
          // Only after a crash between start and teardown does the runtime still know the id.
          exists(this.d.runtime.stateDir(id)).then((left) => (left ? this.d.runtime.delete(id) : undefined)),
        ]);
        this.d.oom.drain();
        r.kmsgSeq = this.d.oom.lastSeq;
        const made = await createMonitored(this.d.runtime, p, id, { logFileMaxBytes: this.logFileMaxBytes() });
        t.mark('create');
        r.pid = made.pid;
        r.monitorPid = made.monitorPid;
        await this.d.runtime.startViaFifo(id);
        t.mark('start');
      } catch (err) {
        await this.teardowns.release(r, true);
        throw err;
      }
      transition(r, 'running');
      r.startedAt = new Date().toISOString();
      delete r.exitCode;
      delete r.oomKilled;
      delete r.finishedAt;
      await this.save(r);
      t.mark('saved');
      const timing = t.end();
      this.d.log.debug('container started', { id, ms: timing.marks, totalMs: timing.totalMs });
      return toInfo(r);
    });
    if (attach) attach(await attachedChild(this, id));
    this.onStarted(id);
    return info;
  }

  /** conmon's bound per file: half the container's bound (the rotated file keeps the other half). */
  private logFileMaxBytes(): number {
    return Math.max(64 * 1024, Math.floor((this.d.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES) / 2));
  }

  /** Records the exit of a running container (from the watcher or stop()); teardown goes on in the background. */
  async finishExit(id: string, exitCode: number | null): Promise<void> {
    const info = await this.locks.run(id, async () => {
      const r = this.records.get(id);
      if (!r || r.state !== 'running') return undefined;
      r.oomKilled = this.d.oom.killedSince(cgroupPathOf(id), r.kmsgSeq ?? 0);
      r.exitCode = exitCode;
      r.finishedAt = new Date().toISOString();
      transition(r, 'stopped');
      delete r.monitorPid;
      await this.save(r);
      void this.teardowns.release(r);
      return toInfo(r);
    });
    if (!info) return;
    for (const l of this.exitListeners) {
      try {
        l(info);
      } catch (err) {
        this.d.log.error('exit listener failed', { id, err });
      }
    }
  }

  /** Resolves once the container is no longer running (or after timeoutMs: false). */
  private stoppedWithin(id: string, timeoutMs: number): Promise<boolean> {
    if (this.records.get(id)?.state !== 'running') return Promise.resolve(true);
    return new Promise((resolve) => {
      const off = this.onExit((info) => {
        if (info.id !== id) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
      const timer = setTimeout(() => {
        off();
        resolve(this.records.get(id)?.state !== 'running');
      }, timeoutMs);
    });
  }

  /** SIGTERM to init (every process with allProcesses), SIGKILL to every process after graceMs; returns once it has stopped. */
  async stop(id: string, graceMs: number, options?: StopOptions): Promise<ContainerInfo> {
    const r = this.get(id);
    if (r.state !== 'running') return toInfo(r);
    // With an init, SIGTERM goes to it alone: tini passes it to the app's whole process group,
    // and a second copy from `kill --all` would hit a trapping app twice.
    const all = (options?.allProcesses ?? false) && !r.spec.init;
    await this.d.runtime.kill(id, 'TERM', all).catch((err) => this.d.log.warn('SIGTERM failed', { id, err }));
    if (!(await this.stoppedWithin(id, graceMs))) {
      await this.d.runtime.kill(id, 'KILL', true).catch((err) => this.d.log.warn('SIGKILL failed', { id, err }));
      // The exit watcher records it (conmon's exit file, or a vanished conmon).
      if (!(await this.stoppedWithin(id, 10_000))) await this.finishExit(id, null);
    }
    return toInfo(this.get(id));
  }

  async kill(id: string, signal: string | number): Promise<void> {
    this.running(id);
    await this.d.runtime.kill(id, signalName(signal));
  }

  async restart(id: string, graceMs: number): Promise<ContainerInfo> {
    if (this.get(id).state === 'running') await this.stop(id, graceMs);
    return this.start(id);
  }

  /** Resolves with the exit once the container has stopped. */
  async wait(id: string): Promise<RunResult> {
    const result = (r: { exitCode?: number | null; oomKilled?: boolean }): RunResult => ({ exitCode: r.exitCode ?? -1, oomKilled: r.oomKilled ?? false });
    const r = this.get(id);
    if (r.state === 'stopped') return result(r);
    return new Promise((resolve) => {
      const off = this.onExit((info) => {
        if (info.id !== id) return;
        off();
        resolve(result(info));
      });
    });
  }

  /** Stops if needed, then deletes everything of the container (the files in the background). */
  async remove(id: string): Promise<void> {
    const r = this.get(id);
    if (r.state === 'running') await this.stop(id, 0);
    await this.locks.run(id, async () => {
      const rec = this.get(id);
      transition(rec, 'removed');
      await this.save(rec);
      this.records.delete(id);
      void this.teardowns.remove(rec);
    });
    // Its address leaves its app's set (a start refreshes anyway before the address is reused).
    void this.d.firewall?.refresh().catch((err) => this.d.log.warn('isolation rules not updated', { id, err }));
  }

  /** Waits for every background teardown (engine close, tests). */
  settled(id?: string): Promise<void> {
    return this.teardowns.settled(id);
  }
}
