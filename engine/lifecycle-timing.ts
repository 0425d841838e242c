/**
 * Where container starts spend their time: each start marks its steps (image, overlay,
 * network, create, start, saved), and the last ones are kept for the bench and for
 * debugging a slow host. Costs a few hrtime calls per start.
 */
export interface StartTiming {
  id: string;
  /** Milliseconds from the start call to each mark (steps that run in parallel overlap). */
  marks: Record<string, number>;
  totalMs: number;
}

export class StartTimer {
  private readonly recent: StartTiming[] = [];

  constructor(private readonly keep = 200) {}

  begin(id: string): { mark(step: string): void; end(): StartTiming } {
    const t0 = process.hrtime.bigint();
    const marks: Record<string, number> = {};
    const since = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
    return {
      mark: (step) => {
        marks[step] = since();
      },
      end: () => {
        const timing = { id, marks, totalMs: since() };
        this.recent.push(timing);
        if (this.recent.length > this.keep) this.recent.shift();
        return timing;
      },
    };
  }

  /** The kept timings, oldest first. */
  all(): StartTiming[] {
    return [...this.recent];
  }

  /** Median of each mark over the kept timings. */
  medians(): Record<string, number> {
    const steps = new Set(this.recent.flatMap((t) => Object.keys(t.marks)));
    const median = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
    };
    const out: Record<string, number> = { total: median(this.recent.map((t) => t.totalMs)) };
    for (const step of steps) out[step] = median(this.recent.map((t) => t.marks[step]).filter((v): v is number => v !== undefined));
    return out;
  }
}
