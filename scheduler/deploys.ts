/**
 * The deploy state machine, one per app, pure apart from its clock. The reconciler
 * feeds it what it sees (the desired release, the app's jobs, crashes) and carries out
 * the transitions it returns (startDeploy / finishDeploy on the controller).
 *
 *   (none) ──new release──▶ running ──formation up, old jobs gone──▶ succeeded
 *                             │ ──maxFailedStarts crashes / timeout──▶ failed
 *                             │ ──another release──▶ superseded (the controller records it)
 *
 * A failed release stays failed here (nothing of it starts again) even before the
 * controller has put the app back on the previous release.
 */
import type { DesiredApp } from '../controller';
import type { JobInfo } from '../shared';

export interface DeployOptions {
  /** A deploy not done by then fails (RELIABILITY.md T3: 120 s). */
  timeoutMs?: number;
  /** Failed starts of new jobs before a deploy fails (T3: at most 5). */
  maxFailedStarts?: number;
  now?: () => number;
}

export type DeployStatus = 'running' | 'succeeded' | 'failed';

export interface DeployState {
  app: string;
  release: number;
  from: number | null;
  /** The controller's deploy id, once startDeploy answered. */
  id?: string;
  startedAt: number;
  status: DeployStatus;
  /** Failed starts by job id, with what went wrong. */
  failures: Map<string, string>;
  reason?: string;
}

export type DeployTransition =
  | { kind: 'start'; deploy: DeployState }
  | { kind: 'succeeded'; deploy: DeployState }
  | { kind: 'failed'; deploy: DeployState; reason: string }
  /** The controller records this itself when the next deploy starts: nothing to report. */
  | { kind: 'superseded'; deploy: DeployState; reason: string };

const live = (j: JobInfo): boolean => j.state === 'starting' || j.state === 'up';

/** What a user reads about one failed start: `web.1: exited with status 1`. */
export function failureReason(job: JobInfo): string {
  const what = job.reason ?? (job.oomKilled ? 'ran out of memory and was killed (Error R15)' : job.exitCode !== undefined && job.exitCode !== null ? `exited with status ${job.exitCode}` : 'crashed');
  return `${job.dyno ?? job.processType}: ${what}`;
}

export class Deploys {
  private readonly states = new Map<string, DeployState>();
  private readonly failedReleases = new Set<string>();
  private readonly timeoutMs: number;
  private readonly maxFailedStarts: number;
  private readonly now: () => number;

  constructor(o: DeployOptions = {}) {
    this.timeoutMs = o.timeoutMs ?? 120_000;
    this.maxFailedStarts = o.maxFailedStarts ?? 5;
    this.now = o.now ?? Date.now;
  }

  get(app: string): DeployState | undefined {
    return this.states.get(app);
  }

  /** True while a deploy of the app is in progress. */
  running(app: string): boolean {
    return this.states.get(app)?.status === 'running';
  }

  /**
   * How many more jobs of `release` may start now. During a deploy, every start may
   * fail; the failed ones plus the ones still starting stay within the allowance
   * (`maxFailedStarts`, or the formation when it is larger), so a release that crashes
   * at once fails after at most that many starts, not after a crowd of replacements.
   */
  startBudget(app: string, release: number, starting: number, formation: number): number {
    const s = this.states.get(app);
    if (!s || s.status !== 'running' || s.release !== release) return Number.POSITIVE_INFINITY;
    return Math.max(0, Math.max(this.maxFailedStarts, formation) - s.failures.size - starting);
  }

  isFailed(app: string, version: number): boolean {
    return this.failedReleases.has(`${app}/${version}`);
  }

  /** A job of the app crashed: during its deploy, a crash of a new job is a failed start. */
  crashed(job: JobInfo): void {
    const s = this.states.get(job.app);
    if (!s || s.status !== 'running' || job.release !== s.release || job.oneOff) return;
    if (!s.failures.has(job.id)) s.failures.set(job.id, failureReason(job));
  }

  /**
   * One look at an app: its desired state and the jobs that run (all states). Returns the
   * transitions to carry out, in order.
   */
  observe(d: DesiredApp, jobs: readonly JobInfo[]): DeployTransition[] {
    const out: DeployTransition[] = [];
    const release = d.release;
    let s = this.states.get(d.app);
    if (!release) {
      if (s?.status === 'running') out.push(this.supersede(s, 'the app has no current release any more'));
      this.states.delete(d.app);
      return out;
    }
    const version = release.version;
    if (release.status === 'failed') this.failedReleases.add(`${d.app}/${version}`);
    if (s && s.release !== version) {
      if (s.status === 'running') out.push(this.supersede(s, `superseded by v${version}`));
      s = undefined;
    }
    const formationJobs = jobs.filter((j) => j.app === d.app && !j.oneOff);
    if (!s) {
      if (this.isFailed(d.app, version)) return out;
      // Jobs of a failed release still stopping are not a deploy to make (the rollback itself).
      const others = formationJobs.filter((j) => live(j) && j.release !== version && !this.isFailed(d.app, j.release));
      // A release the controller already calls succeeded (a scheduler restart) needs no deploy.
      if (release.status === 'succeeded' && others.length === 0) {
        this.states.set(d.app, { app: d.app, release: version, from: d.previousVersion ?? null, startedAt: this.now(), status: 'succeeded', failures: new Map() });
        return out;
      }
      const from = d.previousVersion ?? (others.length ? Math.max(...others.map((j) => j.release)) : null);
      s = { app: d.app, release: version, from, startedAt: this.now(), status: 'running', failures: new Map() };
      this.states.set(d.app, s);
      out.push({ kind: 'start', deploy: s });
    }
    if (s.status !== 'running') return out;
    for (const j of formationJobs) if (j.state === 'crashed' && j.release === version) this.crashed(j);
    if (s.failures.size >= this.maxFailedStarts) {
      out.push(this.fail(s, `${s.failures.size} failed starts; last: ${[...s.failures.values()].at(-1)}`));
      return out;
    }
    const missing = this.missing(d, formationJobs);
    const oldLeft = formationJobs.filter((j) => live(j) && j.release !== version).length;
    if (missing.length === 0 && oldLeft === 0) {
      s.status = 'succeeded';
      out.push({ kind: 'succeeded', deploy: s });
      return out;
    }
    const elapsed = this.now() - s.startedAt;
    if (elapsed > this.timeoutMs) {
      const first = [...s.failures.values()][0];
      const what = missing.length ? missing.join(', ') : `${oldLeft} old process${oldLeft === 1 ? '' : 'es'} still running`;
      out.push(this.fail(s, `timed out after ${Math.round(this.timeoutMs / 1000)} s (${what})${first ? `; ${first}` : ''}`));
    }
    return out;
  }

  /** "web: 2 of 5 up" for every type whose new processes are not all up yet. */
  private missing(d: DesiredApp, jobs: readonly JobInfo[]): string[] {
    const release = d.release;
    if (!release) return [];
    const missing: string[] = [];
    for (const f of d.formation) {
      if (release.process_types[f.type] === undefined || f.quantity === 0) continue;
      const up = jobs.filter((j) => j.processType === f.type && j.release === release.version && j.state === 'up').length;
      if (up < f.quantity) missing.push(`${f.type}: ${up} of ${f.quantity} up`);
    }
    return missing;
  }

  private supersede(s: DeployState, reason: string): DeployTransition {
    s.status = 'failed';
    s.reason = reason;
    this.failedReleases.add(`${s.app}/${s.release}`);
    return { kind: 'superseded', deploy: s, reason };
  }

  private fail(s: DeployState, reason: string): DeployTransition {
    s.status = 'failed';
    s.reason = reason;
    this.failedReleases.add(`${s.app}/${s.release}`);
    return { kind: 'failed', deploy: s, reason };
  }
}
