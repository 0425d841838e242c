/**
 * Attributes OOM kills to containers by reading the kernel log (/dev/kmsg), as cAdvisor
 * does. Why not the cgroup's counters: on cgroup v1 memory.oom_control's oom_kill is
 * per-cgroup and not propagated to parents, and the runtime deletes the container's
 * cgroup as soon as its init exits, before anyone can read it. The kernel's line
 * "oom-kill:…,task_memcg=/paas/<id>,…" survives, with a sequence number that lets us
 * ignore kills from before the container (re)started.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';

export interface OomKill {
  seq: number;
  /** The victim's memory cgroup, e.g. /paas/web-1 */
  taskMemcg: string;
}

export function parseKmsgRecord(record: string): { seq: number; oom?: OomKill } | undefined {
  const semi = record.indexOf(';');
  if (semi === -1) return undefined;
  const seq = Number(record.slice(0, semi).split(',')[1]);
  if (!Number.isFinite(seq)) return undefined;
  const m = /oom-kill:.*task_memcg=([^,\s]+)/.exec(record.slice(semi + 1));
  return m ? { seq, oom: { seq, taskMemcg: m[1]! } } : { seq };
}

export class OomWatcher {
  private fd: number | undefined;
  private readonly buf = Buffer.alloc(8192);
  private readonly kills: OomKill[] = [];
  /** Highest kmsg sequence number read so far. */
  lastSeq = 0;

  constructor() {
    try {
      this.fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      this.fd = undefined; // no kernel log here: OOM kills are reported as false
    }
    this.drain();
  }

  get available(): boolean {
    return this.fd !== undefined;
  }

  /** Reads every record logged since the last call (non-blocking). */
  drain(): void {
    if (this.fd === undefined) return;
    for (;;) {
      let n: number;
      try {
        n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue; // records were overwritten before we read them
        return; // EAGAIN: nothing more for now
      }
      if (n <= 0) return;
      const rec = parseKmsgRecord(this.buf.subarray(0, n).toString('utf8'));
      if (!rec) continue;
      this.lastSeq = Math.max(this.lastSeq, rec.seq);
      if (rec.oom) this.kills.push(rec.oom);
      if (this.kills.length > 10_000) this.kills.splice(0, 5_000);
    }
  }

  /** Whether a process of cgroup `cgroupPath` (or below) was OOM-killed after `sinceSeq`. */
  killedSince(cgroupPath: string, sinceSeq: number): boolean {
    this.drain();
    return this.kills.some(
      (k) => k.seq > sinceSeq && (k.taskMemcg === cgroupPath || k.taskMemcg.startsWith(`${cgroupPath}/`)),
    );
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
