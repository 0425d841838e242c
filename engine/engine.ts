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
import { nofileLimit } from './oci-spec';
import { runOneShot } from './one-shot';
import { OomWatcher } from './oom-watcher';
import { OciRuntime } from './runtime';
import { detectRuntime } from './runtime-detect';
import { createStack } from './stack';

export const DEFAULT_CACHE_DIR = '/var/cache/paas';

export async function openEngine(options: EngineOptions, log: Logger): Promise<EngineApi> {
  const dataDir = options.dataDir;
  for (const d of ['images', 'containers', 'runtime', 'tmp']) await mkdir(join(dataDir, d), { recursive: true });
  const runtimeRoot = join(dataDir, 'runtime');
  const runtimeName = await detectRuntime(options.runtime, runtimeRoot, join(dataDir, 'tmp'));
  const runtime = new OciRuntime(runtimeName, runtimeRoot);
  const cidr = parseCidr(options.bridgeCidr);
  await ensureBridge(options.bridgeName, cidr);

  const images = new ImageStore(join(dataDir, 'images'));
  await images.init();
  const paths = new ContainerPaths(join(dataDir, 'containers'));
  const oom = new OomWatcher();
  if (!oom.available) log.warn('/dev/kmsg is not readable: OOM kills will not be detected');
  const manager = new ContainerManager({
    paths,
    runtime,
    images,
    bridge: { name: options.bridgeName, cidr },
    oom,
    host: {
      nofile: nofileLimit(await readFile('/proc/self/limits', 'utf8')),
      limitSwap: await exists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    },
    log,
  });
  await manager.load();
  const watcher = new ExitWatcher(manager, paths, runtime, log);
  await watcher.tick(); // containers that exited while no daemon watched
  watcher.start();
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
    create: (spec) => manager.create(spec),
    start: (id) => manager.start(id),
    stop: (id, graceMs) => manager.stop(id, graceMs),
    remove: (id) => manager.remove(id),
    inspect: async (id) => manager.inspect(id),
    list: async () => manager.list(),
    logPath: (id) => paths.log(id),
    run: (spec, runOptions) => runOneShot(manager, runtime, log, spec, runOptions),
    onExit: (listener) => manager.onExit(listener),
    async close() {
      watcher.stop();
      oom.close();
    },
  };
}
