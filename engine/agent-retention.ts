/**
 * What a host keeps of jobs that ended: a crashed job's container stays (stopped: no
 * process, cgroup, mount or network left, only its files) for `paas logs` and
 * inspection until the scheduler stops it, but never more than `keep` per app and dyno:
 * a crash loop that the scheduler restarts under new job ids cannot fill the disk.
 */
import { isJob, isOneOff, jobDyno, LABEL_APP, LABEL_PROCESS_TYPE, LABEL_DYNO } from './job-mapping';
import type { ContainerInfo } from './types';

/** Exited containers kept per app and dyno (the latest crash). */
export const KEEP_EXITED_PER_DYNO = 1;

function slotOf(c: ContainerInfo): string {
  // Without a dyno name, every job of a process type shares one slot.
  const dyno = c.labels[LABEL_DYNO] ? jobDyno(c) : `${c.labels[LABEL_PROCESS_TYPE] ?? ''}.*`;
  return `${c.labels[LABEL_APP] ?? ''}\n${dyno}`;
}

/** The exited job containers in `ended`'s slot beyond the newest `keep`, oldest first. */
export function exitedToRemove(all: ContainerInfo[], ended: ContainerInfo, keep = KEEP_EXITED_PER_DYNO): ContainerInfo[] {
  const slot = slotOf(ended);
  const exited = all
    .filter((c) => isJob(c) && !isOneOff(c) && c.state === 'stopped' && slotOf(c) === slot)
    .sort((a, b) => (b.finishedAt ?? b.createdAt).localeCompare(a.finishedAt ?? a.createdAt));
  return exited.slice(keep).reverse();
}
