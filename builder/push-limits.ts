/**
 * Git receive limits (RELIABILITY.md T22): a push rate per app and user, and a size
 * bound on each app's repository. Both refuse with a message that says what to do.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PaasError } from '../shared';

const run = promisify(execFile);
const HOUR = 60 * 60 * 1000;

/** A sliding window of push times per app and user, in memory (a restart forgives). */
export class PushRateLimiter {
  private readonly pushes = new Map<string, number[]>();

  constructor(
    private readonly perHour: number,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - HOUR;
    const list = (this.pushes.get(key) ?? []).filter((t) => t > since);
    this.pushes.set(key, list);
    return list;
  }

  /** Throws when another push would exceed the limit; `record` counts this one. */
  check(app: string, user: string, record: boolean): void {
    const key = `${app}\0${user}`;
    const list = this.recent(key);
    if (list.length >= this.perHour) {
      const waitMin = Math.max(1, Math.ceil((list[0] + HOUR - this.now()) / 60_000));
      throw new PaasError('push_rate_limited', `Too many pushes to ${app}: at most ${this.perHour} an hour. Try again in ${waitMin} minute${waitMin === 1 ? '' : 's'}.`, { status: 429, expose: true });
    }
    if (record) list.push(this.now());
  }
}

/** Bytes on disk of the repository (du: objects and packs, what grows). */
export async function repoBytes(dir: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

export async function checkRepoSize(dir: string, app: string, maxBytes: number): Promise<void> {
  const bytes = await repoBytes(dir);
  if (bytes >= maxBytes) {
    const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
    throw new PaasError(
      'repo_too_large',
      `The repository of ${app} is ${mb(bytes)}, over the limit of ${mb(maxBytes)}. Remove large files from its history (git filter-repo), or recreate the app.`,
      { status: 413, expose: true },
    );
  }
}
