/**
 * Named volumes: directories under <dataDir>/volumes/<name>/_data that containers
 * bind-mount. They live outside any container's overlay, so they outlive containers
 * and can be shared between them. volume.json holds the metadata and is written last,
 * so a directory without it is an unfinished create and does not count.
 *
 * A fresh volume is handed to the uid:gid of the first container that mounts it (an
 * app running as 1000 can then write to it); after that its ownership is the app's
 * business.
 */
import { chown, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../shared';
import type { VolumeInfo } from './types';
import { VolumeInUseError, VolumeNotFoundError } from './errors';
import { readJson, writeJsonAtomic } from './fs-util';
import { KeyedMutex } from '../shared/keyed-mutex';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

interface VolumeMeta {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  /** Set once the first container mounted it (and it was chowned to that container's user). */
  claimedBy?: { uid: number; gid: number };
}

export function checkVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new InvalidInputError(`invalid volume name ${JSON.stringify(name)}: letters, digits, _ . - (1-64, not starting with _ . -)`, 'invalid_volume_name');
  }
}

export class VolumeStore {
  private readonly locks = new KeyedMutex();

  /** `usersOf(name)`: ids of the containers (not removed) whose spec mounts the volume. */
  constructor(
    readonly dir: string,
    private readonly usersOf: (name: string) => string[],
  ) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /** The host directory a container mounts. */
  dataPath(name: string): string {
    return join(this.dir, name, '_data');
  }

  private metaPath(name: string): string {
    return join(this.dir, name, 'volume.json');
  }

  private readMeta(name: string): Promise<VolumeMeta | undefined> {
    return readJson<VolumeMeta>(this.metaPath(name)).catch(() => undefined);
  }

  private info(meta: VolumeMeta): VolumeInfo {
    return { name: meta.name, mountpoint: this.dataPath(meta.name), createdAt: meta.createdAt, labels: { ...meta.labels }, usedBy: this.usersOf(meta.name) };
  }

  private async createLocked(name: string, labels: Record<string, string>): Promise<VolumeMeta> {
    const existing = await this.readMeta(name);
    if (existing) return existing;
    await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
    const meta: VolumeMeta = { name, createdAt: new Date().toISOString(), labels: { ...labels } };
    await writeJsonAtomic(this.metaPath(name), meta);
    return meta;
  }

  /** Creates the volume, or returns it as it is if it exists (like `docker volume create`). */
  async create(name: string, labels: Record<string, string> = {}): Promise<VolumeInfo> {
    checkVolumeName(name);
    return this.info(await this.locks.run(name, () => this.createLocked(name, labels)));
  }

  async inspect(name: string): Promise<VolumeInfo | undefined> {
    checkVolumeName(name);
    const meta = await this.readMeta(name);
    return meta && this.info(meta);
  }

  async list(): Promise<VolumeInfo[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => NAME_RE.test(n)).sort();
    const metas = await Promise.all(names.map((n) => this.readMeta(n)));
    return metas.filter((m): m is VolumeMeta => !!m).map((m) => this.info(m));
  }

  /** Deletes the volume and its data; refuses while a container that is not removed mounts it. */
  async remove(name: string): Promise<void> {
    checkVolumeName(name);
    await this.locks.run(name, async () => {
      if (!(await this.readMeta(name))) throw new VolumeNotFoundError(name);
      const users = this.usersOf(name);
      if (users.length > 0) throw new VolumeInUseError(name, users);
      // Renamed first so the volume is gone at once even if deleting its data takes a while.
      const doomed = join(this.dir, `.removing-${name}-${process.pid}-${Date.now()}`);
      await rename(join(this.dir, name), doomed);
      await rm(doomed, { recursive: true, force: true });
    });
  }

  /**
   * The directory to bind-mount for a container running as `owner`: the volume is
   * created if it does not exist, and a fresh one is given to `owner`.
   */
  async mountSource(name: string, owner: { uid: number; gid: number }): Promise<string> {
    checkVolumeName(name);
    return this.locks.run(name, async () => {
      const meta = await this.createLocked(name, {});
      if (!meta.claimedBy) {
        await chown(this.dataPath(name), owner.uid, owner.gid);
        meta.claimedBy = owner;
        await writeJsonAtomic(this.metaPath(name), meta);
      }
      return this.dataPath(name);
    });
  }
}
