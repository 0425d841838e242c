/**
 * A stream that indents another tool's output (Docker's `Step 1/5 : ...`) as Heroku
 * detail lines, so a Dockerfile build reads like the rest of the push.
 */
import { Writable } from 'node:stream';

export class IndentedLines extends Writable {
  private partial = '';

  constructor(private readonly out: Writable) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const lines = (this.partial + chunk.toString()).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.out.write(`       ${line}\n`);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.partial) this.out.write(`       ${this.partial}\n`);
    done();
  }
}
