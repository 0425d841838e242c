/**
 * The pure part of reconciliation: given what should run (formations of current
 * releases) and what runs (jobs reported by hosts), what to start and what to stop.
 *
 * A job of another release than the current one is "old"; so is a job marked for
 * replacement (a rolling restart, a drained host). New jobs start in batches (default:
 * the whole formation at once, Heroku's preboot); old jobs of a type stop only as new
 * ones are up: with the whole formation as batch, all old ones go once every new one
 * is up; with smaller batches, one old job goes per new job up. So a deploy never
 * leaves a type with fewer running processes than its formation.
 *
 * A release whose deploy failed gets no new job; its jobs stop and the old ones stay.
 * One-off jobs are not part of any formation: the reconciler handles them.
 */
import type { JobInfo } from '../shared';
import type { DesiredApp } from '../controller';
import { dynoIndex } from './dyno-names';

export interface StartAction {
  app: string;
  type: string;
  release: number;
  count: number;
}

export interface Plan {
  start: StartAction[];
  stop: JobInfo[];
}

export interface PlanContext {
  /**
   * Jobs to replace although their release is current. 'after': the replacement
   * starts first and the job stops once it is up (web restarts, drained hosts);
   * 'before': the job stops now and its replacement starts at once (other restarts).
   */
  replace?: (job: JobInfo) => 'before' | 'after' | undefined;
  /** A release whose deploy failed: nothing of it starts, its jobs stop. */
  failed?: (app: string, version: number) => boolean;
  /** New jobs a deploy starts ahead of the ones up (default: the whole formation). */
  batchSize?: number;
  /** Among surplus jobs, these go first (the duplicates of a host that came back). */
  stopFirst?: (job: JobInfo) => boolean;
}

const live = (j: JobInfo): boolean => j.state === 'starting' || j.state === 'up';

export function plan(desired: DesiredApp[], running: JobInfo[], ctx: PlanContext = {}): Plan {
  const result: Plan = { start: [], stop: [] };
  const byApp = new Map(desired.map((d) => [d.app, d]));
  const formationJobs = running.filter((j) => !j.oneOff);
  for (const job of formationJobs) {
    const d = byApp.get(job.app);
    // Jobs of deleted apps, and crashed jobs (their replacement is planned below), go.
    if (!d || !d.release || !live(job)) result.stop.push(job);
  }
  const jobsByApp = new Map<string, JobInfo[]>();
  for (const j of formationJobs) {
    if (!live(j)) continue;
    const list = jobsByApp.get(j.app);
    if (list) list.push(j);
    else jobsByApp.set(j.app, [j]);
  }
  for (const d of desired) {
    if (!d.release) continue;
    const version = d.release.version;
    const jobs = jobsByApp.get(d.app) ?? [];
    const failed = ctx.failed?.(d.app, version) ?? false;
    const types = new Set([...d.formation.map((f) => f.type), ...jobs.map((j) => j.processType)]);
    for (const type of types) {
      const ofType = jobs.filter((j) => j.processType === type);
      const mine = ofType.filter((j) => j.release === version);
      if (failed) {
        // The old formation keeps serving untouched; the failed release's jobs go.
        result.stop.push(...mine);
        continue;
      }
      const want = d.release.process_types[type] === undefined ? 0 : (d.formation.find((f) => f.type === type)?.quantity ?? 0);
      const mark = (j: JobInfo) => ctx.replace?.(j);
      const sameName = nameDuplicates(mine.filter((j) => !mark(j)), ctx);
      const current = mine.filter((j) => !mark(j) && !sameName.has(j));
      const stopNow = [...mine.filter((j) => mark(j) === 'before'), ...sameName];
      const old = [...ofType.filter((j) => j.release !== version), ...mine.filter((j) => mark(j) === 'after')];
      result.stop.push(...stopNow);

      const up = current.filter((j) => j.state === 'up').length;
      const batch = Math.max(1, ctx.batchSize ?? Number.POSITIVE_INFINITY);
      // Without old jobs to replace there is nothing to pace: start what is missing.
      const target = old.length === 0 ? want : Math.min(want, up + batch);
      if (current.length < target) result.start.push({ app: d.app, type, release: version, count: target - current.length });
      if (current.length > want) result.stop.push(...stopOrder(current, type, ctx).slice(0, current.length - want));

      if (old.length) {
        const keep = up >= want ? 0 : batch >= want ? old.length : Math.max(0, want - up);
        if (old.length > keep) result.stop.push(...stopOrder(old, type, ctx).slice(0, old.length - keep));
      }
    }
  }
  return result;
}

/**
 * Processes of one release under a name another of them holds: a start the scheduler
 * gave up waiting for (its request timed out on a busy host) goes on, and the next pass,
 * not seeing it yet, starts the same name again. One keeps the name (not a returned
 * host's, up rather than starting, the oldest); the others go, and what is missing
 * starts under free names, so `web.1 … web.N` each run once.
 */
function nameDuplicates(jobs: JobInfo[], ctx: PlanContext): Set<JobInfo> {
  const rank = (j: JobInfo): string => `${ctx.stopFirst?.(j) ? 1 : 0}${j.state === 'up' ? 0 : 1}${j.startedAt ?? '~'}`;
  const holder = new Set<string>();
  const duplicates = new Set<JobInfo>();
  for (const j of [...jobs].sort((a, b) => rank(a).localeCompare(rank(b)))) {
    if (!j.dyno) continue;
    if (holder.has(j.dyno)) duplicates.add(j);
    else holder.add(j.dyno);
  }
  return duplicates;
}

/**
 * Which surplus jobs go first: duplicates of a returned host, then the highest dyno
 * numbers (Heroku scales web.5 away before web.1), then the newest.
 */
function stopOrder(jobs: JobInfo[], type: string, ctx: PlanContext): JobInfo[] {
  const first = (j: JobInfo): number => (ctx.stopFirst?.(j) ? 1 : 0);
  return [...jobs].sort(
    (a, b) => first(b) - first(a) || (dynoIndex(b.dyno, type) ?? 0) - (dynoIndex(a.dyno, type) ?? 0) || (b.startedAt ?? '').localeCompare(a.startedAt ?? ''),
  );
}
