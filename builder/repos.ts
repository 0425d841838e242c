/**
 * The bare repositories of apps, one per app (by id) under the repos dir, each with the paas
 * pre-receive hook: the build runs while `git push` waits, so its log streams back as
 * `remote:` lines, and a failed build declines the push (the branch does not move).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HookTarget {
  /** The node binary that runs the hook program. */
  nodePath: string;
  /** Compiled builder/pre-receive.js. */
  scriptPath: string;
  /** The builder's internal build endpoint base, e.g. http://127.0.0.1:5001 */
  url: string;
  /** File holding the secret the hook presents to the builder (mode 0600). */
  tokenFile: string;
}

/** An app as its repository knows it: by id on disk (stable across `paas apps:rename`), by name in its hook. */
export interface RepoApp {
  id: number;
  name: string;
}

/**
 * `<id>.git`: the directory does not move when the app is renamed, and an app created
 * later under a destroyed one's name starts with an empty repository. (App names start
 * with a letter, so these never meet the `<name>.git` directories of older versions.)
 */
export function repoDirName(app: RepoApp): string {
  return `${app.id}.git`;
}

export function repoPath(reposDir: string, app: RepoApp): string {
  return path.join(reposDir, repoDirName(app));
}

/** A repository made by an older paas (named after the app) becomes the app's by id. */
function adoptNamedRepo(reposDir: string, app: RepoApp, dir: string): void {
  const named = path.join(reposDir, `${app.name}.git`);
  if (!fs.existsSync(dir) && fs.existsSync(path.join(named, 'HEAD'))) fs.renameSync(named, dir);
}

/**
 * Creates the app's repository if missing and (re)writes its hook; idempotent. The hook
 * refuses a push that would make the repository bigger than maxRepoBytes. (Not git's
 * receive.maxInputSize: git-receive-pack then exits while node-git-server still writes
 * to it, and the unhandled EPIPE would take the daemon down.)
 */
export async function ensureRepo(reposDir: string, app: RepoApp, hook: HookTarget, maxRepoBytes?: number): Promise<string> {
  const dir = repoPath(reposDir, app);
  adoptNamedRepo(reposDir, app, dir);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    await run('git', ['init', '--bare', '--quiet', '--initial-branch=main', dir]);
    // Reject corrupt or malicious objects (bad .gitmodules paths, .GIT names) at receive time.
    await run('git', ['-C', dir, 'config', 'receive.fsckObjects', 'true']);
    await run('git', ['-C', dir, 'config', 'receive.denyDeletes', 'true']);
    await run('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'false']);
  }
  const script = [
    '#!/bin/sh',
    '# Installed by paas: builds the pushed commit before the branch moves.',
    `export PAAS_BUILDER_URL=${shellQuote(hook.url)}`,
    `export PAAS_BUILDER_TOKEN_FILE=${shellQuote(hook.tokenFile)}`,
    // Rewritten on every request, so it names the app as it is called now.
    `export PAAS_APP=${shellQuote(app.name)}`,
    ...(maxRepoBytes === undefined ? [] : [`export PAAS_MAX_REPO_BYTES=${maxRepoBytes}`]),
    `exec ${shellQuote(hook.nodePath)} ${shellQuote(hook.scriptPath)}`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'hooks', 'pre-receive'), script, { mode: 0o755 });
  return dir;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
