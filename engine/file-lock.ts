/**
 * Cross-process locks: a directory made with mkdir (atomic) holding the owner's pid and
 * the owner's start time (so a pid reused by another process after a reboot or a crash
 * does not keep the lock). A lock whose owner died is taken over.
 * - withFileLock: held around one piece of work (the host-wide stack cache, which
 *   several engines may try to fill at once).
 * - holdFileLock: held for a process's life (the data-dir lock: one agent per data dir).
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The start time of a process (clock ticks since boot, /proc/<pid>/stat field 22); undefined when unknown. */
function startTime(pid: number): string | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** How long a lock without its owner's pid is taken as being made, not abandoned. */
const UNWRITTEN_LOCK_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock's owner wrote: "pid starttime" (older locks: the pid alone). */
export function parseOwner(text: string): { pid: number; started?: string } | undefined {
  const [pid, started] = text.trim().split(/\s+/);
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, ...(started ? { started } : {}) } : undefined;
}

/** The live process holding the lock, or undefined (no lock, or its owner died). */
export async function lockHolder(lockDir: string): Promise<number | undefined> {
  const owner = parseOwner(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''));
  if (!owner || !alive(owner.pid)) return undefined;
  if (owner.started && startTime(owner.pid) !== undefined && startTime(owner.pid) !== owner.started) return undefined;
  return owner.pid;
}

/** One attempt: true when taken; a lock of a dead owner (or a half-written one, after a grace) is removed and retried. */
async function tryTake(lockDir: string): Promise<boolean> {
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(join(lockDir, 'pid'), `${process.pid} ${startTime(process.pid) ?? ''}`.trim());
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const written = await readFile(join(lockDir, 'pid'), 'utf8').catch(() => undefined);
      if (written === undefined || written === '') {
        // Just made by another process that has not written its pid yet: held. Still
        // without one after a while: its maker died between the two steps.
        const made = await stat(lockDir).then((s) => s.mtimeMs, () => Date.now());
        if (Date.now() - made < UNWRITTEN_LOCK_MS) return false;
      } else if ((await lockHolder(lockDir)) !== undefined) return false;
      await rm(lockDir, { recursive: true, force: true });
    }
  }
}

export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, pollMs = 250): Promise<T> {
  while (!(await tryTake(lockDir))) await new Promise((r) => setTimeout(r, pollMs));
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

export class LockHeldError extends Error {
  constructor(
    message: string,
    readonly pid: number | undefined,
  ) {
    super(message);
    this.name = 'LockHeldError';
  }
}

/**
 * Takes the lock for this process's life, waiting up to `waitMs` (0: not at all) for
 * its holder to let go; throws LockHeldError naming the holder's pid. release() lets go.
 */
export async function holdFileLock(lockDir: string, what: string, waitMs = 0, pollMs = 100): Promise<{ release(): Promise<void> }> {
  const deadline = Date.now() + waitMs;
  while (!(await tryTake(lockDir))) {
    if (Date.now() >= deadline) {
      const pid = await lockHolder(lockDir);
      throw new LockHeldError(`${what} is in use by ${pid ? `paas process ${pid}` : 'another paas process'} (its lock: ${lockDir})`, pid);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return {
    async release() {
      // Only our own lock: never one another process took over meanwhile.
      if (parseOwner(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''))?.pid === process.pid) await rm(lockDir, { recursive: true, force: true });
    },
  };
}
