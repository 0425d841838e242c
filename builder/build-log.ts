/**
 * The build log: everything written goes on to the pusher (while they listen) and is
 * kept, bounded, for the build record. Over the bound the beginning is dropped, since
 * the failure is at the end. A pusher who went away does not stop the copy. The log is
 * also appended to a spool file, so a builder killed mid-build can still record what
 * the build printed (recovery.ts), and removed when the build is recorded.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';

export const BUILD_LOG_LIMIT = 10 * 1024 * 1024;

export class BuildLog extends Writable {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private dropped = false;

  private spooled = 0;

  constructor(
    private readonly out: Writable,
    private readonly spoolFile?: string,
    private readonly limit = BUILD_LOG_LIMIT,
  ) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    this.chunks.push(buf);
    this.bytes += buf.length;
    while (this.bytes > this.limit && this.chunks.length > 1) {
      this.bytes -= this.chunks.shift()?.length ?? 0;
      this.dropped = true;
    }
    if (!this.out.destroyed && !this.out.writableEnded) this.out.write(buf);
    if (this.spoolFile && this.spooled < this.limit) {
      this.spooled += buf.length;
      try {
        fs.appendFileSync(this.spoolFile, buf);
      } catch {
        // The spool only matters if the builder dies; the build goes on without it.
      }
    }
    done();
  }

  /** The kept log as text. */
  text(): string {
    const body = Buffer.concat(this.chunks);
    const tail = body.length > this.limit ? body.subarray(body.length - this.limit) : body;
    return (this.dropped || body.length > this.limit ? `[the beginning of the log was dropped: it was longer than ${this.limit} bytes]\n` : '') + tail.toString('utf8');
  }
}

/** Reads and removes what spooled logs a dead builder left: build ID → log. */
export function takeSpooledLogs(dir: string): Record<string, string> {
  const logs: Record<string, string> = {};
  if (!fs.existsSync(dir)) return logs;
  for (const file of fs.readdirSync(dir)) {
    const m = /^([0-9a-f-]{36})\.log$/.exec(file);
    if (m) logs[m[1]] = fs.readFileSync(`${dir}/${file}`).subarray(0, BUILD_LOG_LIMIT).toString('utf8');
    fs.rmSync(`${dir}/${file}`, { force: true });
  }
  return logs;
}
