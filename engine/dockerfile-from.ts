/**
 * FROM: the image a build starts from. A local image (the stack is bootstrapped on
 * demand), `scratch` (nothing), or, when the engine has a registry client, a pull.
 */
import type { ImageInfo } from './types';
import type { Instruction } from './dockerfile-parser';
import type { BuildState } from './dockerfile-cache';
import type { Stage } from './dockerfile-steps';
import type { ImageStore } from './image-store';
import { DockerfileError } from './errors';
import { expandWords } from './dockerfile-words';
import { STACK_REF } from './stack';

export interface FromDeps {
  images: ImageStore;
  ensureStack(): Promise<ImageInfo>;
  pull?: (ref: string) => Promise<ImageInfo | undefined>;
}

/** `name` → `name:latest`; a tag after the last `/` is kept (`host:5000/app` has none). */
export function normalizeRef(ref: string): string {
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export async function resolveFrom(d: FromDeps, ins: Instruction, stage: Stage): Promise<BuildState> {
  const words = expandWords(ins.args, new Map([...stage.args].filter((e): e is [string, string] => e[1] !== undefined)), stage.escape);
  if (words.length === 3 && words[1]!.toLowerCase() === 'as') {
    throw new DockerfileError('named stages (FROM … AS name) are not supported: paas builds single-stage Dockerfiles', ins.line);
  }
  if (words.length !== 1) throw new DockerfileError('FROM takes one image reference', ins.line);
  const name = words[0]!;
  if (name === 'scratch') return { layers: [], config: {} };
  if (name.includes('@')) throw new DockerfileError(`images by digest are not supported: ${name}`, ins.line);
  const ref = normalizeRef(name);
  let image = await d.images.get(ref);
  if (!image && ref === STACK_REF) image = await d.ensureStack();
  if (!image && d.pull) image = await d.pull(ref);
  if (!image) throw new DockerfileError(`no such image: ${ref} (not in this host's image store${d.pull ? '' : ', and this engine has no registry to pull from'})`, ins.line);
  return { layers: image.layers, config: image.config };
}
