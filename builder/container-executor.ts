/**
 * Runs buildpack steps inside one-shot containers of the build stack, each with the same
 * mounts, so every step sees the same build, cache, env and scratch dirs. Builds run as
 * the stack's unprivileged user, on the bridge (they reach the package registries through
 * the host's NAT), with a memory limit.
 */
import crypto from 'node:crypto';
import type { BuildpackExecutor, ExecOptions } from '../buildpacks';
import type { EngineApi, Mount } from '../engine';
import { BUILD_GID, BUILD_UID } from './workspace';

export const BUILD_PATHS = { build: '/tmp/build', cache: '/tmp/cache', env: '/tmp/env', work: '/tmp/work', buildpacks: '/tmp/buildpacks' } as const;

export interface ContainerExecutorOptions {
  engine: EngineApi;
  image: string;
  mounts: Mount[];
  buildId: string;
  memoryBytes: number;
  /** Aborts every step still running (build timeout, client gone). */
  signal: AbortSignal;
}

export function createContainerExecutor(o: ContainerExecutorOptions): BuildpackExecutor {
  let step = 0;
  return {
    async exec(argv: string[], options: ExecOptions): Promise<number> {
      step += 1;
      const id = `build-${o.buildId.slice(0, 8)}-${step}-${crypto.randomBytes(2).toString('hex')}`;
      const result = await o.engine.run(
        {
          id,
          image: o.image,
          cmd: argv,
          env: options.env,
          workingDir: BUILD_PATHS.build,
          user: { uid: BUILD_UID, gid: BUILD_GID },
          memoryBytes: o.memoryBytes,
          pidsLimit: 4096,
          mounts: o.mounts,
          network: 'bridge',
          hostname: 'build',
          labels: { 'paas.build': o.buildId },
        },
        { output: options.stdout, stderr: options.stderr, signal: o.signal },
      );
      return result.exitCode;
    },
  };
}
