/**
 * The engine's public types: what the builder, the scheduler (through the agent) and
 * operators may rely on. Everything else in engine/ is private.
 */
import type { Readable, Writable } from 'node:stream';
import type { IsolationPeers } from './isolation';
import type { RegistryPolicy } from './registry-url';

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
  /**
   * Bound on each container's log (bytes, default 10 MiB): the current file plus the
   * one rotated before it each hold at most half of it.
   */
  logMaxBytes?: number;
  /**
   * The ports routers listen on (HTTP, HTTPS). Containers may open connections to nodes
   * on these ports only, so that an app can call another app by its URL (T24).
   */
  routerPorts?: number[];
  /** How registry references without a scheme are spoken to (registry-url.ts): PAAS_REGISTRY_URL, PAAS_INSECURE_REGISTRIES. */
  registries?: RegistryPolicy;
}

/** The OCI image config subset paas uses. */
export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  /** EXPOSE: "80/tcp" → {} (OCI's shape); informative, nothing is published by it. */
  ExposedPorts?: Record<string, Record<string, never>>;
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

/** An image brought in from a layout or a registry, and what it took. */
export interface ImageTransfer {
  info: ImageInfo;
  layersFetched: number;
  /** Layers the host already had (same diff id): not transferred. */
  layersSkipped: number;
  /** Bytes read from the source, as transferred (compressed when the layer was). */
  bytesFetched: number;
}

export interface PushResult {
  /** sha256 of the manifest as pushed. */
  digest: string;
  blobsPushed: number;
  /** Blobs the registry already had (HEAD): not sent. */
  blobsSkipped: number;
  bytesPushed: number;
}

/** HTTP basic credentials; paas's embedded registry takes any user name and its token as password. */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface GcResult {
  blobsRemoved: number;
  layersRemoved: number;
  bytesFreed: number;
}

export interface Mount {
  /** Host path to bind-mount. Give either this or `volume`. */
  source?: string;
  /** A named volume (<dataDir>/volumes/<name>/_data, created on first use) instead of `source`. */
  volume?: string;
  destination: string;
  readonly?: boolean;
}

/** A mount with its host path resolved (volumes turned into their directory). */
export interface BindMount {
  source: string;
  destination: string;
  readonly?: boolean;
}

/** A container port reachable on the host's addresses (iptables DNAT, no userland proxy). */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  /** Default tcp. */
  protocol?: 'tcp' | 'udp';
  /** Only this host address (e.g. 127.0.0.1); default every local address. */
  hostIp?: string;
}

export interface VolumeInfo {
  name: string;
  /** The host directory containers see: <dataDir>/volumes/<name>/_data */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
  /** Containers (any state but removed) that mount it. */
  usedBy: string[];
}

export type NetworkMode = 'bridge' | 'host' | 'none';

export interface StopOptions {
  /**
   * SIGTERM to every process in the container (Heroku's dyno shutdown), not only to init.
   * A container with `init` gets it through tini instead, which signals the app's process group.
   */
  allProcesses?: boolean;
}

export interface ContainerSpec {
  /** Unique id; [a-z0-9][a-z0-9.-]* */
  id: string;
  /** Image reference (name:tag) in the local store. */
  image: string;
  /** argv; defaults to the image's Entrypoint + Cmd. */
  cmd?: string[];
  /**
   * Run a tiny init (tini, Docker's --init) as the container's first process, the command
   * as its child: pid 1 ignores signals it has no handler for, so an app without a SIGTERM
   * handler would otherwise wait out the whole stop grace and die of SIGKILL.
   */
  init?: boolean;
  env?: Record<string, string>;
  workingDir?: string;
  /** Defaults to the image's User, else 1000:1000 (never root for app code). */
  user?: { uid: number; gid: number };
  memoryBytes?: number;
  /** Limit on the number of processes in the container. */
  pidsLimit?: number;
  mounts?: Mount[];
  network?: NetworkMode;
  /** Bridge mode only: host ports forwarded to the container while it runs. */
  ports?: PortMapping[];
  hostname?: string;
  labels?: Record<string, string>;
  /** CPU weight and cap (cgroup cpu controller); none means no limit. */
  cpu?: CpuLimits;
}

/**
 * CPU limits. `shares` is a relative weight under contention (cgroup v1 cpu.shares,
 * 2–262144, Docker's default 1024; mapped to cpu.weight on cgroup v2); a quota caps
 * the CPU time per period whether or not others need it.
 */
export interface CpuLimits {
  shares?: number;
  /** Cap in CPUs, e.g. 0.5 is half of one CPU (quota = cpus × period). */
  cpus?: number;
  /** Cap as microseconds of CPU time per period; wins over `cpus`. */
  quotaMicros?: number;
  /** Default 100000 (100 ms). */
  periodMicros?: number;
}

export type LogStream = 'stdout' | 'stderr';

/** One line of a container's output, as kept in its log (lines over 10,000 bytes come split). */
export interface LogFlow {
  /** False: the container is over what the listener takes (its rate): pass its output over. */
  accepting(id: string): boolean;
  /** True: the listener holds all it can of the container for now: leave the rest in the file a moment. */
  full(id: string): boolean;
  skipped(id: string, lines: number): void;
}

export interface LogEntry {
  /** RFC 3339 with nanoseconds and the host's offset, as the log writer stamped it. */
  time: string;
  stream: LogStream;
  line: string;
}

export interface LogsOptions {
  /** Keep going with new lines until the container stops (or `signal` aborts). */
  follow?: boolean;
  /** Only the last N lines of what is kept (before following). */
  tail?: number;
  /** Only lines stamped at or after this time. */
  since?: string | Date;
  signal?: AbortSignal;
}

export interface ContainerExecOptions {
  /** A terminal for the process (stdout and stderr merged, as on a terminal), optionally sized. */
  tty?: boolean | { rows: number; cols: number };
  env?: Record<string, string>;
  /** Default: the container's user. */
  user?: { uid: number; gid: number };
  cwd?: string;
  stdin?: Readable;
  stdout: Writable;
  /** Default: stdout. */
  stderr?: Writable;
  /** Kills the process (SIGKILL) when aborted. */
  signal?: AbortSignal;
  /** With a TTY: called before the process starts, with a way to resize its terminal later. */
  onTerminal?: (terminal: { resize(size: { rows: number; cols: number }): Promise<void> }) => void;
}

export interface AttachOptions {
  stdout: Writable;
  /** Default: stdout. */
  stderr?: Writable;
  /** true: stream new output until the container stops; false: write what is kept and return. */
  follow?: boolean;
  signal?: AbortSignal;
}

/** A running container's resource use, read from its cgroup. */
export interface ContainerStats {
  /** Memory in use without the reclaimable page cache (as Docker shows it). */
  memoryBytes: number;
  /** The container's memory limit, or the host's memory when it has none. */
  memoryLimitBytes: number;
  /** CPU time used since start, all CPUs, nanoseconds. */
  cpuNanos: number;
  pids: number;
  at: string;
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
  /** Writes image `ref` into the OCI image layout at `dir` (made, or added to), tagged options.name (default: ref's tag). */
  exportImage(ref: string, dir: string, options?: { name?: string }): Promise<void>;
  /** Imports an image from an OCI image layout (skopeo's `oci:`, umoci) as `ref`. */
  importImage(dir: string, ref: string, options?: { name?: string }): Promise<ImageTransfer>;
  /** Untags `ref`; refuses (image_in_use) while a container uses it unless `force`. Content stays until gc(). */
  removeImage(ref: string, options?: { force?: boolean }): Promise<void>;
  /** Frees blobs and unpacked layers that no image references and no container uses. */
  gc(): Promise<GcResult>;
  /** Pushes `ref` to a registry as `target` ("repo:tag"); blobs the registry has are skipped. */
  push(ref: string, registryUrl: string, target: string, credentials?: RegistryCredentials): Promise<PushResult>;
  /** Pulls `source` ("repo:tag" or "repo@sha256:…") as `ref`; layers the host has are not fetched. */
  pull(registryUrl: string, source: string, ref: string, credentials?: RegistryCredentials): Promise<ImageTransfer>;

  create(spec: ContainerSpec): Promise<ContainerInfo>;
  start(id: string): Promise<ContainerInfo>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(id: string, graceMs: number, options?: StopOptions): Promise<ContainerInfo>;
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
  /**
   * docker commit: the container's writable layer (whiteouts included) as one new layer
   * on top of its image, tagged `ref`; `config` is merged over the image's. A running
   * container is paused while its layer is read.
   */
  commitContainer(id: string, ref: string, config?: ImageConfig): Promise<ImageInfo>;
  /** Builds a Dockerfile (Docker's instructions, output and step cache) into the image `tag`. */
  buildDockerfile(options: DockerfileBuildOptions): Promise<ImageInfo>;
  /** Creates a named volume (returns the existing one if it exists). */
  createVolume(name: string, labels?: Record<string, string>): Promise<VolumeInfo>;
  volumes(): Promise<VolumeInfo[]>;
  inspectVolume(name: string): Promise<VolumeInfo | undefined>;
  /** Refuses (VolumeInUseError) while any container that is not removed mounts it. */
  removeVolume(name: string): Promise<void>;
  /** Sends a signal (name like 'HUP'/'SIGHUP', or number) to the container's init. */
  kill(id: string, signal: string | number): Promise<void>;
  /** stop(id, graceMs) when running, then start. */
  restart(id: string, graceMs: number): Promise<ContainerInfo>;
  /** Resolves when the container has stopped (at once when it already has). */
  wait(id: string): Promise<RunResult>;
  /** Runs a process in a running container; resolves with its exit code. */
  exec(id: string, argv: string[], options: ContainerExecOptions): Promise<number>;
  /** Writes the running container's output (kept, or new until it stops with `follow`). */
  attach(id: string, options: AttachOptions): Promise<void>;
  /** The container's output, oldest first (its log survives stops and engine restarts). */
  logs(id: string, options?: LogsOptions): AsyncIterable<LogEntry>;
  /**
   * Called for every new output line of every running container. With `flow`, a
   * listener that cannot take more of a container's lines says so: while it is `full`
   * the output waits in the container's log file (a burst is delayed, not lost); while
   * no listener is `accepting` (a flood over its rate) the output is passed over
   * unparsed and its count reported to `skipped`, a newline search instead of a parse.
   * Returns an unsubscribe function.
   */
  onLog(listener: (id: string, entry: LogEntry) => void, flow?: LogFlow): () => void;
  stats(id: string): Promise<ContainerStats>;
  /**
   * What other hosts contribute to this bridge's app isolation (isolation.ts): their
   * containers by app, their container subnets, the nodes' addresses. The agent calls
   * it from heartbeats; this host's own containers the engine knows itself.
   */
  setIsolationPeers(peers: IsolationPeers): Promise<void>;
  /**
   * Resolves once what removed and stopped containers held (veths, mounts, addresses) is
   * released; that happens after remove() and stop() return, off their paths.
   */
  settled(): Promise<void>;
  /** Stops watching containers; running containers keep running. */
  close(): Promise<void>;
}

export interface DockerfileBuildOptions {
  /** The build context: COPY and ADD sources are relative to it and may not leave it. */
  contextDir: string;
  /**
   * The Dockerfile: a path (absolute, or relative to contextDir), or the text itself
   * (anything containing a newline). Default <contextDir>/Dockerfile.
   */
  dockerfile?: string;
  /** name:tag of the image to write. */
  tag: string;
  /** --build-arg values for the Dockerfile's ARGs. */
  buildArgs?: Record<string, string>;
  /** Receives the build's output in Docker's grammar (Step n/m, ---> id, RUN output). */
  output: Writable;
  /** Rebuild every step instead of reusing cached results. */
  noCache?: boolean;
  signal?: AbortSignal;
}
