/**
 * openEngine: assembles the engine from its parts for one data dir: picks the runtime,
 * makes sure the bridge exists, loads the image store and the containers (re-adopting
 * those still running from a previous daemon) and starts the exit watcher.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared';
import type { EngineApi, EngineOptions, ImageInfo } from './types';
import { ensureBridge } from './bridge';
import { parseCidr } from './cidr';
import { ContainerPaths } from './container-paths';
import { ContainerManager } from './containers';
import { exists } from './fs-util';
import { ExitWatcher } from './exit-watcher';
import { ImageStore } from './image-store';
import { collectGarbage } from './image-gc';
import { exportImage, importImage } from './image-layout';
import { pullImage, pushImage } from './registry-client';
import { namesRegistry, registryOf } from './registry-url';
import { nofileLimit } from './oci-spec';
import { runOneShot } from './one-shot';
import { OomWatcher } from './oom-watcher';
import { OciRuntime } from './runtime';
import { detectRuntime } from './runtime-detect';
import { createStack } from './stack';
import { commitContainer } from './commit-container';
import { buildDockerfile } from './dockerfile-build';
import { networkSettled, reconcileNetwork } from './container-network';
import { VolumeStore } from './volume-store';
import { lifecycleApi } from './lifecycle-api';
import { detectCgroupVersion } from './stats-cgroup';
import { IsolationFirewall } from './isolation';
import { containerResolvConf } from './container-config';
import { LABEL_APP } from './job-mapping';

export const DEFAULT_CACHE_DIR = '/var/cache/paas';

export async function openEngine(options: EngineOptions, log: Logger): Promise<EngineApi> {
  const dataDir = options.dataDir;
  for (const d of ['images', 'containers', 'runtime', 'tmp']) await mkdir(join(dataDir, d), { recursive: true });
  const runtimeRoot = join(dataDir, 'runtime');
  const runtimeName = await detectRuntime(options.runtime, runtimeRoot, join(dataDir, 'tmp'));
  const runtime = new OciRuntime(runtimeName, runtimeRoot);
  const cidr = parseCidr(options.bridgeCidr);
  await ensureBridge(options.bridgeName, cidr);

  // Images in use: those named by a container that is not removed (removeImage, gc).
  const images = new ImageStore(join(dataDir, 'images'), {
    inUse: () => [...manager.records.values()].filter((r) => r.state !== 'removed').map((r) => ({ image: r.spec.image, container: r.id })),
  });
  await images.init();
  const paths = new ContainerPaths(join(dataDir, 'containers'));
  const oom = new OomWatcher();
  const cgroupVersion = await detectCgroupVersion();
  // Users of a volume: containers not removed whose spec mounts it (removeVolume refuses those).
  const volumes: VolumeStore = new VolumeStore(join(dataDir, 'volumes'), (name: string): string[] =>
    [...manager.records.values()].filter((r) => r.state !== 'removed' && r.spec.mounts?.some((m) => m.volume === name)).map((r) => r.id),
  );
  await volumes.init();
  if (!oom.available) log.warn('/dev/kmsg is not readable: OOM kills will not be detected');
  // Containers of an app, from create to remove (each keeps its address that long).
  const appContainers = (): { ip: string; app: string }[] =>
    [...manager.records.values()].flatMap((r) => (r.ip && r.spec.labels?.[LABEL_APP] && r.state !== 'removed' ? [{ ip: r.ip, app: r.spec.labels[LABEL_APP] }] : []));
  const firewall = new IsolationFirewall({ name: options.bridgeName, cidr }, appContainers, containerResolvConf, log.child('isolation'), options.routerPorts);
  const manager: ContainerManager = new ContainerManager({
    paths,
    runtime,
    images,
    bridge: { name: options.bridgeName, cidr },
    oom,
    host: {
      nofile: nofileLimit(await readFile('/proc/self/limits', 'utf8')),
      limitSwap: await exists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
      volumes,
      cgroupVersion,
    },
    log,
    logMaxBytes: options.logMaxBytes,
    firewall,
  });
  await manager.load();
  await firewall.refresh(); // isolated from the start, re-adopted containers included
  const lifecycle = lifecycleApi(manager, cgroupVersion, log);
  const watcher = new ExitWatcher(manager, paths, runtime, log);
  await watcher.tick(); // containers that exited while no daemon watched
  watcher.start();
  // Veths and port rules a crash left behind (containers that stopped while no engine watched).
  const stale = await reconcileNetwork({ name: options.bridgeName, cidr }, [...manager.records.values()]);
  if (stale.veths + stale.rules > 0) log.info('removed stale network state', stale);
  log.info('engine open', { dataDir, runtime: runtimeName, bridge: options.bridgeName, containers: manager.records.size });

  let stack: Promise<ImageInfo> | undefined;
  const stackOptions = { cacheDir: options.cacheDir ?? DEFAULT_CACHE_DIR, mirror: options.debianMirror };

  return {
    runtime: runtimeName,
    bridgeAddress: cidr.address,
    ensureStack(progress = () => undefined) {
      // Concurrent callers share one creation; a failed one may be retried.
      stack ??= createStack(images, stackOptions, progress).catch((err: unknown) => {
        stack = undefined;
        throw err;
      });
      return stack;
    },
    commit: (base, layerDir, config, ref) => images.commit(base, layerDir, config, ref),
    image: (ref) => images.get(ref),
    images: () => images.list(),
    exportImage: async (ref, dir, layoutOptions) => {
      await exportImage(images, ref, dir, layoutOptions);
    },
    importImage: (dir, ref, layoutOptions) => importImage(images, dir, ref, layoutOptions),
    removeImage: (ref, removeOptions) => images.remove(ref, removeOptions?.force ?? false),
    gc: () => collectGarbage(images),
    push: (ref, registryUrl, target, credentials) => pushImage(images, ref, registryUrl, target, credentials),
    pull: (registryUrl, source, ref, credentials) => pullImage(images, registryUrl, source, ref, credentials),
    create: (spec) => manager.create(spec),
    start: (id) => manager.start(id),
    stop: (id, graceMs, options) => manager.stop(id, graceMs, options),
    remove: (id) => manager.remove(id),
    inspect: async (id) => manager.inspect(id),
    list: async () => manager.list(),
    logPath: (id) => paths.log(id),
    run: (spec, runOptions) => runOneShot(manager, log, spec, runOptions),
    onExit: (listener) => manager.onExit(listener),
    commitContainer: (id, ref, config) => commitContainer({ images, manager, paths, runtime }, id, ref, config),
    buildDockerfile(buildOptions) {
      const cacheDir = join(dataDir, 'build-cache');
      const api = this as EngineApi;
      // A FROM that names a registry is pulled; any other missing image is the build's error.
      const pull = async (ref: string): Promise<ImageInfo | undefined> => {
        if (!namesRegistry(ref)) return undefined;
        const { registryUrl, repository } = registryOf(ref, options.registries);
        await api.pull(registryUrl, repository, ref);
        const image = await api.image(ref);
        if (!image) throw new Error(`pulled ${ref} but it is not in the image store`);
        return image;
      };
      return buildDockerfile({ images, manager, paths, runtime, log, cacheDir, ensureStack: () => api.ensureStack(), pull }, buildOptions);
    },
    createVolume: (name, labels) => volumes.create(name, labels),
    volumes: () => volumes.list(),
    inspectVolume: (name) => volumes.inspect(name),
    removeVolume: (name) => volumes.remove(name),
    ...lifecycle.api,
    setIsolationPeers: (peers) => firewall.setPeers(peers),
    settled: () => manager.settled(),
    async close() {
      watcher.stop();
      lifecycle.close();
      await manager.settled();
      oom.close();
      await networkSettled();
    },
  };
}
