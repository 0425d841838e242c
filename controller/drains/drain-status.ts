/** How a drain is doing, as this controller saw it (kept in memory; a restart starts afresh). */
export interface DrainStatus {
  /** Lines this controller delivered since it started. */
  delivered_lines: number;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

export function newStatus(): DrainStatus {
  return { delivered_lines: 0, last_success_at: null, last_error: null, last_error_at: null };
}

/** Retry delays: 1 s, doubling, at most 60 s; back to 1 s after a success. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly firstMs = 1_000,
    private readonly maxMs = 60_000,
  ) {}

  next(): number {
    const ms = Math.min(this.maxMs, this.firstMs * 2 ** Math.min(this.failures, 16));
    this.failures++;
    return ms;
  }

  reset(): void {
    this.failures = 0;
  }
}
