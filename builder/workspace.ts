/**
 * The host-side folders of one build: the source (extracted from the pushed commit),
 * the config vars as an ENV_DIR, a scratch dir for buildpacks, and the app's cache,
 * which survives between builds. All owned by the build user, since the build
 * container runs as that unprivileged user.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { spawn } from 'node:child_process';
import { appDir, type AppRef } from './app-dirs';

const run = promisify(execFile);
export const BUILD_UID = 1000;
export const BUILD_GID = 1000;

export interface Workspace {
  root: string;
  /** Becomes /app in the image: the layer dir holds `app/`. */
  layer: string;
  source: string;
  env: string;
  work: string;
  cache: string;
}

/** `app`: whose cache (kept by id, app-dirs.ts) the build gets. */
export async function createWorkspace(buildsDir: string, cacheRoot: string, app: AppRef, buildId: string): Promise<Workspace> {
  const root = path.join(buildsDir, buildId);
  const ws: Workspace = {
    root,
    layer: path.join(root, 'layer'),
    source: path.join(root, 'layer', 'app'),
    env: path.join(root, 'env'),
    work: path.join(root, 'work'),
    cache: appDir(cacheRoot, app),
  };
  for (const dir of [ws.source, ws.env, ws.work, ws.cache]) fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.chmodSync(root, 0o700);
  return ws;
}

/**
 * Extracts the pushed tree. `git archive` output of our own repository is the input, but
 * its contents are the user's: no owners or modes beyond the usual bits are kept, and
 * GNU tar refuses members that leave the directory.
 */
export async function extractSource(tarStream: Readable, dest: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-x', '-C', dest, '--no-same-owner', '--no-same-permissions', '--no-overwrite-dir', '-f', '-'], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`could not unpack the pushed source: ${err.trim()}`))));
    tarStream.on('error', reject);
    tarStream.pipe(tar.stdin);
  });
}

/** What can be an environment variable, and so a file name in ENV_DIR (never `../x`). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * ENV_DIR: one file per config var, the value verbatim (never through a shell). A key
 * that is no variable name is skipped (and reported), since it would be a path.
 */
export function writeEnvDir(dir: string, config: Record<string, string>, skipped: (key: string) => void = () => undefined): void {
  for (const [key, value] of Object.entries(config)) {
    if (!ENV_NAME.test(key)) {
      skipped(key);
      continue;
    }
    fs.writeFileSync(path.join(dir, key), value, { mode: 0o644, flag: 'wx' });
  }
}

/** Bytes of the files under dir (du), e.g. the app layer: the slug size. */
export async function dirBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

export async function handToBuildUser(ws: Workspace): Promise<void> {
  for (const dir of [ws.layer, ws.work, ws.cache]) await run('chown', ['-R', `${BUILD_UID}:${BUILD_GID}`, dir]);
}

export function removeWorkspace(ws: Workspace): void {
  fs.rmSync(ws.root, { recursive: true, force: true });
}
