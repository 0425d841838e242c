/** The git side of the CLI: the `paas` remote of the current repository. */
import { execFileSync } from 'node:child_process';

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export const inGitRepo = (): boolean => git(['rev-parse', '--git-dir']) !== undefined;

/** Maps remote name → app name for every remote that points at an app repository on `host`. */
export function paasRemotes(host: string): Map<string, string> {
  const out = git(['config', '--get-regexp', '^remote\\..*\\.url$']) ?? '';
  const remotes = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^remote\.(.+)\.url\s+(https?:\/\/[^/]+)\/([a-z][a-z0-9-]{1,29})\.git$/.exec(line.trim());
    if (m && new URL(m[2]).hostname === host) remotes.set(m[1], m[3]);
  }
  return remotes;
}

export function setRemote(name: string, url: string): void {
  if (git(['remote', 'get-url', name]) !== undefined) execFileSync('git', ['remote', 'set-url', name, url]);
  else execFileSync('git', ['remote', 'add', name, url]);
}

/**
 * Points every remote of this repository that names app `from` on `host` at `url` (the
 * app's new git URL after `paas apps:rename`); returns the remotes it changed.
 */
export function repointRemotes(host: string, from: string, url: string): string[] {
  const changed = [...paasRemotes(host)].filter(([, app]) => app === from).map(([name]) => name);
  for (const name of changed) execFileSync('git', ['remote', 'set-url', name, url]);
  return changed;
}
