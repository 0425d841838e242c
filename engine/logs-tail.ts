/**
 * Reads a container's log as it grows, across conmon's file switches: the reader holds
 * a file descriptor, so a file renamed away is still read to its end before the reader
 * moves on to the new output.log. Wakes on inotify (fs.watch on the container dir) with
 * a slow poll as a safety net.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { ContainerPaths } from './container-paths';
import { logFiles } from './logs-files';
import { parseRecord, splitLines, type LogRecord } from './logs-format';

const CHUNK = 64 * 1024;

export class LogTail {
  private older: FileHandle[] = [];
  /** Where reading the first of `older` stopped (a budget ran out in it). */
  private olderPos = 0;
  private current: FileHandle | undefined;
  private currentIno = 0;
  private pos = 0;
  private carry: Buffer = Buffer.alloc(0);
  /** Skip up to the first newline (started in the middle of a record). */
  private resync = false;
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly paths: ContainerPaths,
    private readonly id: string,
  ) {}

  /**
   * From the oldest kept record ('start'), from the start of the current file (this run,
   * when opened right at start: 'current'), or only what is written from now on ('end').
   */
  static async open(paths: ContainerPaths, id: string, from: 'start' | 'current' | 'end'): Promise<LogTail> {
    const t = new LogTail(paths, id);
    if (from === 'start') {
      const files = await logFiles(paths, id);
      const handles = (await Promise.all(files.map((f) => open(f, 'r').catch(() => undefined)))).filter((h): h is FileHandle => !!h);
      t.older = handles.slice(0, -1);
      if (handles.length > 0) await t.setCurrent(handles[handles.length - 1]!, 0);
    } else {
      const h = await open(paths.log(id), 'r').catch(() => undefined);
      if (h) {
        const size = (await h.stat()).size;
        await t.setCurrent(h, from === 'current' ? 0 : size);
        if (from === 'end') t.resync = size > 0 && !(await endsWithNewline(h, size));
      }
    }
    return t;
  }

  private async setCurrent(h: FileHandle, pos: number): Promise<void> {
    this.current = h;
    this.currentIno = (await h.stat()).ino;
    this.pos = pos;
  }

  /**
   * Every complete record written since the last call, or, with `budget`, those in about
   * that many bytes (the rest comes with the next calls): a follower of a flooding
   * container holds one budget of records at a time, not everything the flood wrote
   * while it parsed the last batch.
   */
  async read(budget = Infinity): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    await this.walk(budget, out);
    return out;
  }

  /**
   * Passes over about `budget` bytes without parsing them, and says how many records
   * they held: a follower that cannot take a flooding container's lines counts them
   * as dropped for the price of a newline search.
   */
  async skip(budget: number): Promise<number> {
    const counted = { records: 0 };
    await this.walk(budget, counted);
    return counted.records;
  }

  private async walk(budget: number, out: LogRecord[] | { records: number }): Promise<void> {
    const left = { bytes: budget };
    while (this.older.length > 0) {
      const h = this.older[0]!;
      const cursor = { pos: this.olderPos };
      const finished = await this.drain(h, cursor, out, true, left);
      this.olderPos = cursor.pos;
      if (!finished) return;
      this.older.shift();
      this.olderPos = 0;
      await h.close();
    }
    for (;;) {
      if (!this.current) {
        const h = await open(this.paths.log(this.id), 'r').catch(() => undefined);
        if (!h) return;
        await this.setCurrent(h, 0);
      }
      const cursor = { pos: this.pos };
      const caughtUp = await this.drain(this.current!, cursor, out, false, left);
      this.pos = cursor.pos;
      if (!caughtUp) return;
      // conmon switched files: the old one is complete; go on with the new output.log.
      const now = await stat(this.paths.log(this.id)).then((s) => s.ino, () => undefined);
      if (now === undefined || now === this.currentIno) return;
      const finished = await this.drain(this.current!, cursor, out, true, left);
      this.pos = cursor.pos;
      if (!finished) {
        // The switched-away file has more: read on from there next time, then the new one.
        this.older.unshift(this.current!);
        this.olderPos = cursor.pos;
        this.current = undefined;
        return;
      }
      await this.current!.close();
      this.current = undefined;
    }
  }

  /** Reads to the end of the file (true), or until the budget is spent (false). */
  private async drain(h: FileHandle, cursor: { pos: number }, out: LogRecord[] | { records: number }, whole: boolean, left: { bytes: number }): Promise<boolean> {
    for (;;) {
      if (left.bytes <= 0) return false;
      // A fresh buffer each time: records handed out keep pointing into it.
      const size = Math.min(CHUNK, left.bytes);
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await h.read(buf, 0, size, cursor.pos);
      if (bytesRead === 0) break;
      cursor.pos += bytesRead;
      left.bytes -= bytesRead;
      if (!Array.isArray(out)) {
        out.records += countLines(buf.subarray(0, bytesRead));
        // Where the skip stopped a record may be cut: the next read starts at the next one.
        this.resync = buf[bytesRead - 1] !== 0x0a;
        this.carry = Buffer.alloc(0);
        continue;
      }
      const { lines, rest } = splitLines(this.carry, buf.subarray(0, bytesRead));
      this.carry = rest;
      for (const line of lines) {
        if (this.resync) {
          this.resync = false;
          continue;
        }
        const r = parseRecord(line);
        if (r) out.push(r);
      }
    }
    // A finished file never gets the rest of a record cut by a crash.
    if (whole) this.carry = Buffer.alloc(0);
    return true;
  }

  /** Resolves on the next change in the container's directory, after `ms`, or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.watcher) {
      try {
        this.watcher = watch(this.paths.dir(this.id), () => this.wake?.());
        this.watcher.on('error', () => undefined);
      } catch {
        // no inotify: the poll below still works
      }
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** Ends the current wait() now. */
  poke(): void {
    this.wake?.();
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.wake?.();
    for (const h of this.older) await h.close().catch(() => undefined);
    await this.current?.close().catch(() => undefined);
    this.older = [];
    this.current = undefined;
  }
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

async function endsWithNewline(h: FileHandle, size: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  await h.read(b, 0, 1, size - 1);
  return b[0] === 0x0a;
}

/**
 * Every record from the tail until `done()` is true (the container stopped; one more read
 * then picks up what it wrote last) or `signal` aborts. `stopped` resolves at the exit.
 */
/**
 * What a follower reads per batch: a flood is taken in bounded bites. 32 KiB is at most
 * ~800 records (the shortest is ~40 bytes), which a listener that calls itself full at
 * half its queue (the log shipper: 1,000 of 2,000) always has room for.
 */
export const FOLLOW_BUDGET_BYTES = 32 * 1024;

export async function* followRecords(
  tail: LogTail,
  done: () => boolean,
  signal?: AbortSignal,
  stopped?: Promise<unknown>,
  pollMs = 250,
): AsyncGenerator<LogRecord> {
  // The exit itself changes nothing in the log's directory: `stopped` wakes the wait at once.
  let woken = false;
  void stopped?.then(() => {
    woken = true;
    tail.poke();
  });
  for (;;) {
    const batch = await tail.read(FOLLOW_BUDGET_BYTES);
    yield* batch;
    if (batch.length > 0) continue;
    if (signal?.aborted) return;
    if (done()) {
      yield* await tail.read();
      return;
    }
    if (!woken) await tail.wait(pollMs, signal);
  }
}
