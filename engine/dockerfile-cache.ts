/**
 * The build step cache. A build's state after each step is its layers plus its config;
 * the state's id (a digest of both) is what `---> <id>` shows. Each step's result is
 * stored under a key made of the parent state's id and what the step did (its expanded
 * instruction, for COPY/ADD a digest of the copied files, for RUN the build args in its
 * environment), so an unchanged prefix of a Dockerfile is never rebuilt.
 * Entries live in <dataDir>/build-cache/<key>.json; one whose layers have left the image
 * store counts as a miss.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig } from './types';
import type { ImageStore } from './image-store';
import { exists, readJson, writeJsonAtomic } from './fs-util';

export interface BuildState {
  /** diff ids, bottom layer first */
  layers: string[];
  config: ImageConfig;
}

/** JSON with sorted object keys, so equal states always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The state's id: sha256 hex of its canonical JSON. */
export function stateId(state: BuildState): string {
  return sha256(canonicalJson(state));
}

export function stepKey(parentId: string, parts: readonly string[]): string {
  return sha256(canonicalJson([parentId, ...parts]));
}

export class StepCache {
  constructor(
    private readonly dir: string,
    private readonly images: ImageStore,
  ) {}

  async get(key: string): Promise<BuildState | undefined> {
    const state = await readJson<BuildState>(join(this.dir, `${key}.json`)).catch(() => undefined);
    if (!state) return undefined;
    for (const layer of state.layers) if (!(await exists(this.images.blobPath(layer)))) return undefined;
    return state;
  }

  async put(key: string, state: BuildState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeJsonAtomic(join(this.dir, `${key}.json`), state);
  }
}
