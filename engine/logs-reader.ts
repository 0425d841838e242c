/**
 * logs(id, {tail, since, follow}): the kept output as entries, oldest first, then (with
 * follow) new lines until the container stops. Long lines come split (logs-format.ts).
 */
import type { LogEntry, LogsOptions } from './types';
import type { ContainerPaths } from './container-paths';
import { LineAssembler, recordMillis } from './logs-format';
import { followRecords, LogTail } from './logs-tail';

export async function* readLogs(
  paths: ContainerPaths,
  id: string,
  o: LogsOptions,
  running: () => boolean,
  stopped?: () => Promise<unknown>,
): AsyncGenerator<LogEntry> {
  const tail = await LogTail.open(paths, id, 'start');
  const asm = new LineAssembler();
  const since = o.since === undefined ? undefined : new Date(o.since).getTime();
  const wanted = (e: LogEntry): boolean => since === undefined || recordMillis(e.time) >= since;
  try {
    // What is kept now: keep only the last `tail` entries of it.
    const kept: LogEntry[] = [];
    for (const r of await tail.read()) {
      for (const e of asm.push(r)) {
        if (!wanted(e)) continue;
        kept.push(e);
        if (o.tail !== undefined && kept.length > o.tail) kept.shift();
      }
    }
    if (o.tail === 0) kept.length = 0;
    yield* kept;
    if (!o.follow) {
      // A line still being written (no newline yet) is shown as it is.
      yield* asm.flush(new Date().toISOString()).filter(wanted);
      return;
    }
    for await (const r of followRecords(tail, () => !running(), o.signal, stopped?.())) {
      for (const e of asm.push(r)) if (wanted(e)) yield e;
    }
    yield* asm.flush(new Date().toISOString());
  } finally {
    await tail.close();
  }
}
