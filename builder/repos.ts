/**
 * The bare repositories of apps, one per app (by id: app-dirs.ts) under the repos dir, each with the paas
 * pre-receive hook: the build runs while `git push` waits, so its log streams back as
 * `remote:` lines, and a failed build declines the push (the branch does not move).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { appDir, type AppRef } from './app-dirs';

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

/** The repository's directory name under the repos dir (the git server serves it by this path). */
export function repoDirName(app: AppRef): string {
  return `${app.id}.git`;
}

/**
 * Creates the app's repository if missing and (re)writes its hook; idempotent. The hook
 * refuses a push that would make the repository bigger than maxRepoBytes. (Not git's
 * receive.maxInputSize: git-receive-pack then exits while node-git-server still writes
 * to it, and the unhandled EPIPE would take the daemon down.)
 */
export async function ensureRepo(reposDir: string, app: AppRef, hook: HookTarget, maxRepoBytes?: number): Promise<string> {
  const dir = appDir(reposDir, app, '.git');
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
