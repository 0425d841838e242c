/**
 * The engine's public types: what the builder, the scheduler (through the agent) and
 * operators may rely on. Everything else in engine/ is private.
 */
import type { Writable } from 'node:stream';

export type RuntimeName = 'runc' | 'crun';

export interface EngineOptions {
  /** Root of the engine's state: images, layers, containers. */
  dataDir: string;
  /** 'auto' picks crun when it can run here and runc otherwise. */
  runtime: 'auto' | RuntimeName;
  bridgeName: string;
  /** Bridge address with prefix, e.g. 10.77.0.1/16. */
  bridgeCidr: string;
  debianMirror: string;
  /**
   * Host-wide cache shared by every data dir on the machine (the bootstrapped stack
   * layer tarball). Default /var/cache/paas.
   */
  cacheDir?: string;
}

/** The OCI image config subset paas uses. */
export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
}

export interface ImageInfo {
  /** name:tag */
  ref: string;
  /** sha256:… of the manifest */
  digest: string;
  /** sha256:… diff ids, bottom layer first. */
  layers: string[];
  config: ImageConfig;
}

export interface Mount {
  source: string;
  destination: string;
  readonly?: boolean;
}

export type NetworkMode = 'bridge' | 'host' | 'none';

export interface ContainerSpec {
  /** Unique id; [a-z0-9][a-z0-9.-]* */
  id: string;
  /** Image reference (name:tag) in the local store. */
  image: string;
  /** argv; defaults to the image's Entrypoint + Cmd. */
  cmd?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /** Defaults to the image's User, else 1000:1000 (never root for app code). */
  user?: { uid: number; gid: number };
  memoryBytes?: number;
  /** Limit on the number of processes in the container. */
  pidsLimit?: number;
  mounts?: Mount[];
  network?: NetworkMode;
  hostname?: string;
  labels?: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'stopped' | 'removed';

export interface ContainerInfo {
  id: string;
  image: string;
  state: ContainerState;
  labels: Record<string, string>;
  /** Address on the host bridge (bridge mode only). */
  ip?: string;
  pid?: number;
  exitCode?: number | null;
  oomKilled?: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface RunResult {
  exitCode: number;
  oomKilled: boolean;
}

export interface RunOptions {
  /** Receives the process's stdout (and its stderr when `stderr` is not given) as written. */
  output?: Writable;
  /** Receives the process's stderr separately. */
  stderr?: Writable;
  /** Killed (SIGKILL) when the time runs out; the result then has exitCode 137. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface EngineApi {
  readonly runtime: RuntimeName;
  readonly bridgeAddress: string;

  /** The Debian build-and-run stack image, bootstrapped once and cached. */
  ensureStack(progress?: (line: string) => void): Promise<ImageInfo>;
  /** A new image: `base`'s layers plus one layer made from the contents of `layerDir`. */
  commit(base: string, layerDir: string, config: ImageConfig, ref: string): Promise<ImageInfo>;
  image(ref: string): Promise<ImageInfo | undefined>;
  images(): Promise<ImageInfo[]>;

  create(spec: ContainerSpec): Promise<ContainerInfo>;
  start(id: string): Promise<ContainerInfo>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(id: string, graceMs: number): Promise<ContainerInfo>;
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerInfo | undefined>;
  list(): Promise<ContainerInfo[]>;
  /** Path of the file holding the container's stdout and stderr. */
  logPath(id: string): string;
  /** Create, start, stream output, wait, remove: a one-shot container (builds). */
  run(spec: ContainerSpec, options?: RunOptions): Promise<RunResult>;
  /**
   * Called whenever a running container stops, whether it exited on its own, was
   * stopped, or was killed (exitCode, oomKilled set). Returns an unsubscribe function.
   */
  onExit(listener: (info: ContainerInfo) => void): () => void;
  /** Stops watching containers; running containers keep running. */
  close(): Promise<void>;
}
