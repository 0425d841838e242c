/**
 * A readers–writer lock for the image store: operations that add content (commit,
 * import, pull) hold it shared, so a blob they wrote but have not tagged yet is never
 * taken by gc, which holds it exclusively.
 */
export class SharedExclusiveLock {
  private readers = 0;
  private writer: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    this.readers++;
    try {
      return await fn();
    } finally {
      if (--this.readers === 0) this.drained?.();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.writer) await this.writer;
    let release!: () => void;
    this.writer = new Promise((r) => (release = r));
    try {
      while (this.readers > 0) await new Promise<void>((r) => (this.drained = r));
      this.drained = undefined;
      return await fn();
    } finally {
      const done = release;
      this.writer = undefined;
      done();
    }
  }
}
