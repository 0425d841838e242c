/**
 * The container log format (CRI "k8s-file", written by conmon): one record per line,
 * `<RFC 3339 time> <stdout|stderr> <P|F> <content>`, where P marks a partial line (the
 * writer's buffer filled, or the process wrote no newline yet) continued by the next
 * record of the same stream, and F ends a line. Pure: no I/O here.
 */
import type { LogEntry, LogStream } from './types';

/** Lines longer than this (bytes) are split into several entries, never dropped (Heroku's limit). */
export const MAX_LINE_BYTES = 10_000;

export interface LogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;

/** Parses one record (without its newline); undefined for anything else (a foreign line). */
export function parseRecord(line: Buffer): LogRecord | undefined {
  const a = line.indexOf(SPACE);
  const b = a < 0 ? -1 : line.indexOf(SPACE, a + 1);
  if (a <= 0 || b < 0 || line.length < b + 2) return undefined;
  const stream = line.toString('latin1', a + 1, b);
  const tag = line[b + 1];
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 0x50 && tag !== 0x46)) return undefined;
  // "F" then a space, or "F" at the very end (an empty line).
  if (line.length > b + 2 && line[b + 2] !== SPACE) return undefined;
  return { time: line.toString('latin1', 0, a), stream, partial: tag === 0x50, content: line.subarray(Math.min(line.length, b + 3)) };
}

/** One record as the log writer would write it (the agent's own messages use this). */
export function formatRecord(time: Date | string, stream: LogStream, content: string): string {
  const t = typeof time === 'string' ? time : time.toISOString();
  return `${t} ${stream} F ${content.replace(/\n/g, ' ')}\n`;
}

/** Milliseconds since the epoch of a record's time (nanoseconds dropped). */
export function recordMillis(time: string): number {
  return Date.parse(time);
}

/** Where to cut `buf` at or before `max` bytes without splitting a UTF-8 sequence. */
export function utf8Cut(buf: Buffer, max: number): number {
  if (buf.length <= max) return buf.length;
  let cut = max;
  while (cut > 0 && (buf[cut]! & 0xc0) === 0x80) cut--;
  return cut === 0 ? max : cut;
}

/**
 * Joins partial records into lines, per stream, and splits lines over MAX_LINE_BYTES.
 * Feed records in order; `push` returns the entries completed by that record.
 */
export class LineAssembler {
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingBytes: Record<LogStream, number> = { stdout: 0, stderr: 0 };

  constructor(private readonly maxBytes = MAX_LINE_BYTES) {}

  push(r: LogRecord): LogEntry[] {
    const out: LogEntry[] = [];
    this.pending[r.stream].push(r.content);
    this.pendingBytes[r.stream] += r.content.length;
    if (this.pendingBytes[r.stream] < this.maxBytes && r.partial) return out;
    let buf = Buffer.concat(this.pending[r.stream]);
    while (buf.length > this.maxBytes || (buf.length === this.maxBytes && r.partial)) {
      const cut = utf8Cut(buf, this.maxBytes);
      out.push({ time: r.time, stream: r.stream, line: buf.toString('utf8', 0, cut) });
      buf = buf.subarray(cut);
    }
    if (r.partial) {
      this.pending[r.stream] = buf.length > 0 ? [buf] : [];
      this.pendingBytes[r.stream] = buf.length;
    } else {
      out.push({ time: r.time, stream: r.stream, line: buf.toString('utf8') });
      this.pending[r.stream] = [];
      this.pendingBytes[r.stream] = 0;
    }
    return out;
  }

  /** What is left unterminated (the process ended without a final newline). */
  flush(time: string): LogEntry[] {
    const out: LogEntry[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.pendingBytes[stream] > 0) out.push({ time, stream, line: Buffer.concat(this.pending[stream]).toString('utf8') });
      this.pending[stream] = [];
      this.pendingBytes[stream] = 0;
    }
    return out;
  }
}

/** Splits a chunk of file bytes into complete lines; the unterminated rest is returned to carry over. */
export function splitLines(carry: Buffer, chunk: Buffer): { lines: Buffer[]; rest: Buffer } {
  const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
  const lines: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    lines.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: Buffer.from(buf.subarray(start)) };
}
