/**
 * What really runs on netns hosts (test/helpers/netns-hosts.ts), asked of the hosts
 * themselves rather than the controller: each live host's agent over NATS, and a
 * host's container processes on disk (for one whose agent is down).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { request as natsRequest, subjects, type JobInfo } from '../../shared';

/** The app's jobs that each given host's agent reports neither down nor crashed. */
export async function runningJobs(nc: NatsConnection, hostIds: string[], app: string): Promise<JobInfo[]> {
  const lists = await Promise.all(hostIds.map((id) => natsRequest<JobInfo[]>(nc, subjects.jobList.name(id), {}, 5_000)));
  return lists.flat().filter((j) => j.app === app && j.state !== 'down' && j.state !== 'crashed');
}

/** The ids of a host's containers whose process is alive (its agent may be dead or cut off). */
export function liveContainers(dataDir: string): string[] {
  const containers = path.join(dataDir, 'engine', 'containers');
  return fs.readdirSync(containers).filter((id) => {
    try {
      process.kill(Number(fs.readFileSync(path.join(containers, id, 'pid'), 'utf8')), 0);
      return true;
    } catch {
      return false;
    }
  });
}
