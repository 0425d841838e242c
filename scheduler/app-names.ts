/**
 * Which app a running job belongs to, by its id. A host reports a job with the app name
 * in its container labels, given when it started; after `paas apps:rename` that name is
 * the old one until the job is replaced (the controller asks for a rolling restart).
 * The controller's record of the job holds the app by id, so its name is the current
 * one: jobs it knows are counted as the renamed app's, not as the processes of a
 * destroyed app, and nothing stops before its replacement is up.
 */
import type { RecordedJob } from '../controller';
import type { JobInfo } from '../shared';

export class AppNames {
  /** Job id → the app's current name, for jobs whose labels name it otherwise. */
  private renamed = new Map<string, string>();

  /** Learns from the controller's records (every pass). */
  learn(recorded: RecordedJob[], listed: JobInfo[]): void {
    const appOf = new Map(recorded.map((r) => [r.id, r.app]));
    this.renamed = new Map();
    for (const j of listed) {
      const app = appOf.get(j.id);
      if (app && app !== j.app) this.renamed.set(j.id, app);
    }
  }

  /** The job under its app's current name (the same object when that is its label). */
  current(job: JobInfo): JobInfo {
    const app = this.renamed.get(job.id);
    return app ? { ...job, app } : job;
  }
}
