/**
 * The container manager: create, start, stop, remove, and the bookkeeping of exits.
 * Each container's record lives in <dataDir>/containers/<id>/state.json and changes
 * only through the state machine (container-state.ts), one operation per container at
 * a time (KeyedMutex). Kernel objects (overlay mount, netns, veth, cgroup) exist only
 * while the container runs; the IP address is kept from create to remove.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { InvalidInputError, type Logger } from '../shared';
import type { ContainerInfo, ContainerSpec } from './types';
import { ContainerExistsError, ContainerNotFoundError, InvalidTransitionError } from './errors';
import { canTransition, toInfo, transition, type ContainerRecord } from './container-state';
import { ContainerPaths, shortName } from './container-paths';
import { writeBundleFiles, type HostSettings } from './container-config';
import { networkDown, networkUp, plannedNetwork, type BridgeSettings } from './container-network';
import { lowestFreeAddress } from './cidr';
import { netNames } from './netns';
import { readJson, writeJsonAtomic } from './fs-util';
import { KeyedMutex } from './mutex';
import { mountOverlay, unmountOverlay } from './overlay';
import { launchAttached, launchDetached, pollFor, processAlive, readExitFile, readPidFile, type AttachedChild } from './launcher';
import type { ImageStore } from './image-store';
import type { OciRuntime } from './runtime';
import type { OomWatcher } from './oom-watcher';
import { cgroupPathOf } from './container-config';

const ID_RE = /^[a-z0-9][a-z0-9.-]{0,62}$/;

export interface ManagerDeps {
  paths: ContainerPaths;
  runtime: OciRuntime;
  images: ImageStore;
  bridge: BridgeSettings;
  oom: OomWatcher;
  host: HostSettings;
  log: Logger;
}

export class ContainerManager {
  readonly records = new Map<string, ContainerRecord>();
  /** Ids whose runtime runs as our child (one-shot runs): their exit comes from the child. */
  readonly attached = new Set<string>();
  private readonly locks = new KeyedMutex();
  private readonly exitListeners = new Set<(info: ContainerInfo) => void>();

  constructor(private readonly d: ManagerDeps) {}

  private names(id: string): ReturnType<typeof netNames> {
    return netNames(shortName(this.d.paths.containersDir, id));
  }

  private async save(r: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.d.paths.state(r.id), r);
  }

  private get(id: string): ContainerRecord {
    const r = this.records.get(id);
    if (!r) throw new ContainerNotFoundError(id);
    return r;
  }

  /** Reads every state.json (re-adoption after a daemon restart). */
  async load(): Promise<void> {
    await mkdir(this.d.paths.containersDir, { recursive: true });
    for (const id of await readdir(this.d.paths.containersDir)) {
      const r = await readJson<ContainerRecord>(this.d.paths.state(id)).catch(() => undefined);
      if (!r) continue;
      if (r.state === 'removed') await rm(this.d.paths.dir(id), { recursive: true, force: true });
      else this.records.set(id, r);
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

  /** Mounts, wires the network, launches; `attach` gives the one-shot child to run(). */
  async start(id: string, attach?: (child: AttachedChild) => void): Promise<ContainerInfo> {
    return this.locks.run(id, async () => {
      const r = this.get(id);
      if (r.state === 'running') return toInfo(r);
      if (!canTransition(r.state, 'running')) throw new InvalidTransitionError(id, r.state, 'running');
      const p = this.d.paths;
      const image = await this.d.images.require(r.spec.image);
      try {
        await this.d.runtime.delete(id);
        await rm(p.exitFile(id), { force: true });
        await rm(p.pidFile(id), { force: true });
        await mountOverlay({ lower: await this.d.images.lowerDirs(image), upper: p.upper(id), work: p.work(id), target: p.rootfs(id) });
        await networkUp(r, this.names(id), this.d.bridge);
        this.d.oom.drain();
        r.kmsgSeq = this.d.oom.lastSeq;
        if (attach) {
          const child = launchAttached(this.d.runtime, p, id);
          this.attached.add(id);
          r.monitorPid = child.pid;
          attach(child);
        } else {
          r.monitorPid = launchDetached(this.d.runtime, p, id);
        }
        r.pid = await pollFor(async () => (await readPidFile(p, id)) ?? ((await readExitFile(p, id)) !== undefined ? 0 : undefined), 15_000);
      } catch (err) {
        await this.release(r);
        throw err;
      }
      transition(r, 'running');
      r.startedAt = new Date().toISOString();
      delete r.exitCode;
      delete r.oomKilled;
      delete r.finishedAt;
      await this.save(r);
      return toInfo(r);
    });
  }

  /** Frees what a running container holds: runtime record, mount, network. */
  private async release(r: ContainerRecord): Promise<void> {
    await this.d.runtime.delete(r.id).catch((err) => this.d.log.warn('runtime delete failed', { id: r.id, err }));
    await unmountOverlay(this.d.paths.rootfs(r.id)).catch((err) => this.d.log.warn('unmount failed', { id: r.id, err }));
    await networkDown(r).catch((err) => this.d.log.warn('network teardown failed', { id: r.id, err }));
  }

  /** Records the exit of a running container (from the watcher, stop() or run()) and cleans up. */
  async finishExit(id: string, exitCode: number | null): Promise<void> {
    const info = await this.locks.run(id, async () => {
      const r = this.records.get(id);
      if (!r || r.state !== 'running') return undefined;
      r.oomKilled = this.d.oom.killedSince(cgroupPathOf(id), r.kmsgSeq ?? 0);
      r.exitCode = exitCode;
      r.finishedAt = new Date().toISOString();
      await this.release(r);
      this.attached.delete(id);
      transition(r, 'stopped');
      delete r.monitorPid;
      await this.save(r);
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

  /** SIGTERM to init, SIGKILL to every process after graceMs; returns once it has stopped. */
  async stop(id: string, graceMs: number): Promise<ContainerInfo> {
    const r = this.get(id);
    if (r.state !== 'running') return toInfo(r);
    const stopped = (): Promise<true | undefined> => Promise.resolve(this.records.get(id)?.state !== 'running' ? true : undefined);
    const exited = async (): Promise<number | null | undefined> => {
      if (this.attached.has(id)) return (await stopped()) ? null : undefined;
      const code = await readExitFile(this.d.paths, id);
      if (code !== undefined) return code;
      // No shim to report (it died, e.g. an adopted orphan): ask the runtime directly.
      if (await processAlive(r.monitorPid, id)) return undefined;
      const st = await this.d.runtime.state(id).catch(() => undefined);
      return st && st.status !== 'stopped' ? undefined : null;
    };
    await this.d.runtime.kill(id, 'TERM').catch((err) => this.d.log.warn('SIGTERM failed', { id, err }));
    let code = await pollFor(exited, graceMs);
    if (code === undefined) {
      await this.d.runtime.kill(id, 'KILL', true).catch((err) => this.d.log.warn('SIGKILL failed', { id, err }));
      code = await pollFor(exited, 10_000);
    }
    if (this.attached.has(id)) await pollFor(stopped, 10_000);
    else await this.finishExit(id, code ?? null);
    return toInfo(this.get(id));
  }

  /** Stops if needed, then deletes everything of the container. */
  async remove(id: string): Promise<void> {
    const r = this.get(id);
    if (r.state === 'running') await this.stop(id, 0);
    await this.locks.run(id, async () => {
      const rec = this.get(id);
      transition(rec, 'removed');
      await this.save(rec);
      await this.release(rec);
      await rm(this.d.paths.dir(id), { recursive: true, force: true });
      this.records.delete(id);
    });
  }
}
