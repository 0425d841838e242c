/**
 * Third-party buildpacks, fetched on the host (never inside the build): `git clone --depth 1` of
 * a https:// or git:// URL (optionally `#branch`, `#tag` or `#commit`) into a cache directory, one
 * directory per commit so that a buildpack in use by one build is never replaced under it; or a
 * directory on the host below one of the operator's allowed roots (also as a `file://` URL).
 * The caller then makes the returned directory visible to the build, read-only.
 */
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildpackNameOf, redact } from './buildpacks-file';
import { BuildpackFetchError } from './errors';
import type { BuildpackRef, FetchBuildpack } from './types';

export interface BuildpackFetcherOptions {
  /** Host dir for clones (e.g. <data dir>/buildpacks); created if missing. */
  cacheDir: string;
  /**
   * Host dirs whose buildpacks may be used by path or file:// URL. Default none: a path would
   * let an app's `.buildpacks` read whatever directory it names on the host.
   */
  allowedRoots?: string[];
  /** A clone that takes longer fails the build. Default 120 s. */
  timeoutMs?: number;
}

const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;
const SHA = /^[0-9a-f]{7,40}$/;

export function createBuildpackFetcher(options: BuildpackFetcherOptions): FetchBuildpack {
  const roots = (options.allowedRoots ?? []).map((root) => fs.realpathSync(root));
  const timeoutMs = options.timeoutMs ?? 120_000;
  return async (reference) => {
    const hash = reference.indexOf('#');
    const location = hash === -1 ? reference : reference.slice(0, hash);
    const ref = hash === -1 ? undefined : reference.slice(hash + 1);
    if (ref !== undefined && (!REF.test(ref) || ref.includes('..'))) {
      throw new BuildpackFetchError(`Buildpack ${redact(reference)}: "#${ref}" is not a branch, tag or commit name.`);
    }
    if (location.startsWith('/') || /^file:\/\//i.test(location)) {
      const dir = location.startsWith('/') ? location : decodeURIComponent(new URL(location).pathname);
      const real = allowedDir(dir, roots, reference);
      // A bare or working git repository is cloned (so #ref works); a plain directory is used as it is.
      if (!isGitRepository(real)) {
        if (ref !== undefined) throw new BuildpackFetchError(`Buildpack ${reference}: #${ref} needs a git repository.`);
        return { ...checkBuildpack(real, reference), source: reference };
      }
      return clone(`file://${real}`, ref, reference, options.cacheDir, timeoutMs, true);
    }
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new BuildpackFetchError(`Buildpack ${redact(reference)} is neither a shipped name, a git URL nor a path.`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'git:') {
      throw new BuildpackFetchError(`Buildpack ${redact(reference)}: only https:// and git:// URLs can be fetched.`, {
        hint: 'HINT: use the https:// URL of the buildpack\'s git repository.',
      });
    }
    return clone(location, ref, reference, options.cacheDir, timeoutMs, false);
  };
}

function allowedDir(dir: string, roots: string[], reference: string): string {
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    throw new BuildpackFetchError(`Buildpack ${reference}: no such directory on the paas host.`);
  }
  if (!roots.some((root) => real === root || real.startsWith(root + path.sep))) {
    throw new BuildpackFetchError(`Buildpack ${reference} is not in a directory the operator allows buildpacks from.`, {
      hint: 'HINT: give the buildpack as a https:// git URL instead.',
    });
  }
  return real;
}

function isGitRepository(dir: string): boolean {
  return fs.existsSync(path.join(dir, '.git')) || (fs.existsSync(path.join(dir, 'HEAD')) && fs.existsSync(path.join(dir, 'objects')));
}

function checkBuildpack(dir: string, reference: string): BuildpackRef {
  for (const step of ['detect', 'compile']) {
    const file = path.join(dir, 'bin', step);
    if (!fs.existsSync(file)) throw new BuildpackFetchError(`Buildpack ${redact(reference)} has no bin/${step}: it is not a buildpack.`);
  }
  return { name: buildpackNameOf(reference), dir };
}

/**
 * Clones into a scratch dir next to the cache, then renames it to <key>/<commit> unless that
 * commit is already there. Only the protocols of the URL's kind are allowed, submodules are not
 * fetched, and no user or system git config or credential prompt takes part.
 */
async function clone(url: string, ref: string | undefined, reference: string, cacheDir: string, timeoutMs: number, local: boolean): Promise<BuildpackRef> {
  const key = crypto.createHash('sha256').update(`${url}#${ref ?? ''}`).digest('hex').slice(0, 16);
  const home = path.join(cacheDir, key);
  fs.mkdirSync(home, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(home, '.tmp-'));
  const git = (args: string[], cwd?: string) => runGit(args, { cwd, timeoutMs, local });
  try {
    const work = path.join(tmp, 'src');
    if (ref !== undefined && SHA.test(ref)) {
      // A commit cannot be named by --branch: fetch exactly it (servers allow this for commits they hold).
      await git(['init', '-q', work]);
      await git(['fetch', '-q', '--depth', '1', '--', url, ref], work);
      await git(['checkout', '-q', 'FETCH_HEAD'], work);
    } else {
      await git(['clone', '-q', '--depth', '1', '--single-branch', '--no-tags', ...(ref ? ['--branch', ref] : []), '--', url, work]);
    }
    const commit = (await git(['rev-parse', 'HEAD'], work)).trim();
    fs.rmSync(path.join(work, '.git'), { recursive: true, force: true });
    checkBuildpack(work, reference);
    const dir = path.join(home, commit);
    if (!fs.existsSync(dir)) fs.renameSync(work, dir);
    return { name: buildpackNameOf(reference), dir, source: redact(reference), version: commit };
  } catch (err) {
    if (err instanceof BuildpackFetchError) throw err;
    throw new BuildpackFetchError(`Could not fetch buildpack ${redact(reference)}: ${(err as Error).message}`, { cause: err });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function runGit(args: string[], o: { cwd?: string; timeoutMs: number; local: boolean }): Promise<string> {
  const protocols = o.local ? ['-c', 'protocol.file.allow=always'] : ['-c', 'protocol.https.allow=always', '-c', 'protocol.git.allow=always'];
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-c', 'protocol.allow=never', ...protocols, '-c', 'core.hooksPath=/dev/null', ...args], {
      cwd: o.cwd,
      env: { PATH: process.env.PATH, HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: o.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else if (signal) reject(new Error(`git ${args[0]} took longer than ${Math.round(o.timeoutMs / 1000)} s`));
      else reject(new Error(redact(stderr.trim().split('\n').pop() ?? `git ${args[0]} failed`).replace(/([a-z]+:\/\/)[^/@\s]*@/gi, '$1')));
    });
  });
}
