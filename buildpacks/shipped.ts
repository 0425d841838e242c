/** The buildpacks that ship with paas, in detection order. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildpackRef } from './types';

/**
 * Detection order: the first that detects wins. `nodejs` first (a package.json means a Node.js
 * app, even with an index.html), then `static` (static.json, or index.html without package.json),
 * and the catch-all `procfile` last.
 */
export const SHIPPED_BUILDPACKS = ['nodejs', 'static', 'procfile'] as const;

/**
 * The shipped buildpacks with their absolute host dirs. The bash buildpacks live next to the
 * TypeScript sources (tsc does not copy them), so from dist/buildpacks we look in ../../buildpacks.
 */
export function shippedBuildpacks(rootDir?: string): BuildpackRef[] {
  const root = rootDir ?? defaultRoot();
  return SHIPPED_BUILDPACKS.map((name) => {
    const dir = path.resolve(root, name);
    if (!fs.existsSync(path.join(dir, 'bin', 'detect'))) {
      throw new Error(`buildpack "${name}" is missing: no ${path.join(dir, 'bin', 'detect')}`);
    }
    return { name, dir };
  });
}

function defaultRoot(): string {
  const candidates = [__dirname, path.resolve(__dirname, '..', '..', 'buildpacks')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, SHIPPED_BUILDPACKS[0], 'bin', 'detect'))) ?? __dirname;
}
