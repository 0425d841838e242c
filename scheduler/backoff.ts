/**
 * Crash-restart backoff, Flynn's policy: the first 5 restarts of a process type are
 * immediate, restarts 5–14 wait 10 s, later ones 30 s; the count resets after 5
 * minutes without a crash, and a new release starts from zero.
 */
export class CrashBackoff {
  private readonly crashes = new Map<string, { count: number; last: number; release: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  crashed(app: string, type: string, release: number): void {
    const key = `${app}/${type}`;
    const prev = this.crashes.get(key);
    const fresh = !prev || prev.release !== release || this.now() - prev.last > 5 * 60_000;
    this.crashes.set(key, { count: fresh ? 1 : prev.count + 1, last: this.now(), release });
  }

  /** Milliseconds to wait before starting another process of this type. */
  delayMs(app: string, type: string, release: number): number {
    const c = this.crashes.get(`${app}/${type}`);
    if (!c || c.release !== release || this.now() - c.last > 5 * 60_000) return 0;
    const wait = c.count <= 5 ? 0 : c.count < 15 ? 10_000 : 30_000;
    return Math.max(0, c.last + wait - this.now());
  }
}
