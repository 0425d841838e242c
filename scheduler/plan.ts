/**
 * The pure part of reconciliation: given what should run (formations of current
 * releases) and what runs (jobs reported by hosts), what to start and what to stop.
 * New-release jobs start first; old-release jobs of a type stop only once the new ones
 * of that type are all up, so a deploy never leaves a type without a running process.
 */
import type { JobInfo } from '../shared';
import type { DesiredApp } from '../controller';

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

const live = (j: JobInfo): boolean => j.state === 'starting' || j.state === 'up';

export function plan(desired: DesiredApp[], running: JobInfo[]): Plan {
  const result: Plan = { start: [], stop: [] };
  const byApp = new Map(desired.map((d) => [d.app, d]));
  for (const job of running) {
    const d = byApp.get(job.app);
    // Jobs of deleted apps, and crashed jobs (their replacement is planned below), go.
    if (!d || !d.release || !live(job)) result.stop.push(job);
  }
  for (const d of desired) {
    if (!d.release) continue;
    const version = d.release.version;
    const jobs = running.filter((j) => j.app === d.app && live(j));
    const types = new Set([...d.formation.map((f) => f.type), ...jobs.map((j) => j.processType)]);
    for (const type of types) {
      const want = d.release.process_types[type] === undefined ? 0 : (d.formation.find((f) => f.type === type)?.quantity ?? 0);
      const current = jobs.filter((j) => j.processType === type && j.release === version);
      const old = jobs.filter((j) => j.processType === type && j.release !== version);
      if (current.length < want) result.start.push({ app: d.app, type, release: version, count: want - current.length });
      if (current.length > want) result.stop.push(...newestFirst(current).slice(0, current.length - want));
      const ready = current.filter((j) => j.state === 'up').length >= want;
      if (old.length && ready) result.stop.push(...old);
    }
  }
  return result;
}

function newestFirst(jobs: JobInfo[]): JobInfo[] {
  return [...jobs].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}
