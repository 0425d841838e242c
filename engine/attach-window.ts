import { Writable } from 'node:stream';
import { ATTACH_WINDOW_BYTES } from '../shared';

/**
 * An attached process's send window (shared/attach-protocol.ts): output is passed on while at most `limit` bytes are
 * unacknowledged; past that a write's callback waits, so the pipe from the process pauses.
 */
export class OutputWindow {
  private sent = 0;
  private ack = 0;
  private waiting: (() => void)[] = [];
  /** The session is over: nothing is held back any more. */
  private closed = false;

  constructor(private readonly limit = ATTACH_WINDOW_BYTES) {}

  writable(send: (chunk: Buffer) => void): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        send(chunk);
        this.sent += chunk.length;
        if (this.closed || this.sent - this.ack <= this.limit) done();
        else this.waiting.push(() => done());
      },
    });
  }

  acked(total: number): void {
    if (!Number.isFinite(total) || total <= this.ack) return;
    this.ack = total;
    if (this.sent - this.ack <= this.limit) this.release();
  }

  close(): void {
    this.closed = true;
    this.release();
  }

  private release(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const done of w) done();
  }
}
