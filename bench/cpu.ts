/**
 * CPU time spent by processes, from /proc: the cost of a request in CPU, which stays
 * meaningful on a busy machine where requests/s swing with the neighbours' load.
 */
import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

function stat(pid: number): { ppid: number; cpuMs: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

/** Pids of `root`'s descendants (not `root`) whose command line matches `match`. */
export function descendants(root: number, match?: RegExp): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  if (!match) return out;
  return out.filter((pid) => {
    try {
      return match.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/** User + system CPU milliseconds of these processes so far. */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.cpuMs ?? 0), 0);
}
