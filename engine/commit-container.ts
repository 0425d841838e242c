/**
 * `commit`: a container's writable layer becomes one new layer on top of its image,
 * as a new image (docker commit). A running container is frozen (runtime pause) while
 * its upperdir is read, so the layer is a consistent snapshot; it resumes afterwards.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { ImageConfig, ImageInfo } from './types';
import type { ContainerManager } from './containers';
import type { ContainerPaths } from './container-paths';
import type { ImageStore } from './image-store';
import type { OciRuntime } from './runtime';
import { ContainerNotFoundError, CommandFailedError } from './errors';
import { execRaw } from './exec';
import { mergeImageConfig } from './image-config';
import { isEmptyDir, tarUpperDir } from './commit-layer';

export interface CommitDeps {
  images: ImageStore;
  manager: ContainerManager;
  paths: ContainerPaths;
  runtime: OciRuntime;
}

/**
 * Imports the layer made from an upperdir into the store and returns its diff id;
 * undefined when `skipEmpty` and the container changed nothing.
 */
export async function importUpperDir(images: ImageStore, upper: string, skipEmpty: boolean): Promise<string | undefined> {
  if (skipEmpty && (await isEmptyDir(upper))) return undefined;
  const tar = images.tmpPath('commit.tar');
  await mkdir(upper, { recursive: true }); // created but never started: nothing changed yet
  try {
    const { hex } = await tarUpperDir(upper, images.tmpPath('commit-staging'), tar);
    return await images.importLayer(tar, 'move', { diffId: `sha256:${hex}` }); // hashed once, while tarring
  } finally {
    await rm(tar, { force: true });
  }
}

async function runtimeCall(rt: OciRuntime, verb: 'pause' | 'resume', id: string): Promise<void> {
  const r = await execRaw(rt.name, rt.args(verb, id));
  if (r.code !== 0) throw new CommandFailedError(`${rt.name} ${verb} ${id}`, r.code, r.stderr);
}

/** The container's image plus its writable layer, tagged `ref`; `config` is merged over the image's. */
export async function commitContainer(d: CommitDeps, id: string, ref: string, config: ImageConfig = {}): Promise<ImageInfo> {
  const info = d.manager.inspect(id);
  if (!info || info.state === 'removed') throw new ContainerNotFoundError(id);
  // The layers the container runs on: its image ref as stored now (the engine mounts the same).
  const base = await d.images.require(info.image);
  const paused = info.state === 'running';
  if (paused) await runtimeCall(d.runtime, 'pause', id);
  let diffId: string;
  try {
    diffId = (await importUpperDir(d.images, d.paths.upper(id), false))!;
  } finally {
    if (paused) await runtimeCall(d.runtime, 'resume', id);
  }
  return d.images.writeImage(ref, [...base.layers, diffId], mergeImageConfig(base.config, config));
}
