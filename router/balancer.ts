/**
 * Which of an app's backends gets the next request. Measured with backends of unequal
 * speed (bench/router.ts, "balancing"; numbers in router/README.md): round-robin sends
 * the slow backend its full share and queues behind it; least-connections and power of
 * two choices both follow the backends' real speed. The default is power of two choices:
 * as good as least-connections here, O(1) per request whatever the number of backends,
 * and it does not send every worker's burst to the same backend, since each worker
 * (router/workers.ts) counts only its own requests.
 *
 * A backend whose connect just failed is left out for a short while (when others remain),
 * so a dead host's job, which has no requests in flight, does not attract them.
 */
import type { Backend, RouteEntry } from './table';

export type BalancePolicy = 'round-robin' | 'least-connections' | 'p2c';

export const BALANCE_POLICIES: readonly BalancePolicy[] = ['round-robin', 'least-connections', 'p2c'];

/** How long a backend whose connect failed is skipped while others are available. */
export const FAILED_BACKEND_PAUSE_MS = 2_000;

export class Balancer {
  /** Requests in flight per backend id; an id is dropped at zero so removed jobs leave nothing behind. */
  private readonly inFlight = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(
    readonly policy: BalancePolicy = 'p2c',
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  pick(entry: RouteEntry): Backend | undefined {
    const all = entry.backends;
    if (all.length <= 1) return all[0];
    const live = this.pausedUntil.size === 0 ? all : this.unpaused(all);
    if (live.length === 1) return live[0];
    switch (this.policy) {
      case 'round-robin':
        return live[this.advance(entry, live.length)];
      case 'least-connections':
        return this.leastConnections(entry, live);
      default:
        return this.twoChoices(live);
    }
  }

  /**
   * A backend with fewer than `limit` requests in flight (backlog.ts): the policy's choice
   * when it qualifies, else the least loaded one that does, else none.
   */
  pickUnder(entry: RouteEntry, limit: number): Backend | undefined {
    const picked = this.pick(entry);
    if (!picked || this.active(picked) < limit) return picked;
    let best: Backend | undefined;
    for (const b of entry.backends) if (this.active(b) < limit && (!best || this.active(b) < this.active(best))) best = b;
    return best;
  }

  /** Counts a request on `backend` until the returned function is called (extra calls do nothing). */
  start(backend: Backend): () => void {
    const id = backend.id;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.inFlight.get(id) ?? 1) - 1;
      if (left > 0) this.inFlight.set(id, left);
      else this.inFlight.delete(id);
    };
  }

  /** A connect to `backend` failed: skip it for a while unless nothing else is left. */
  failed(backend: Backend): void {
    this.pausedUntil.set(backend.id, this.now() + FAILED_BACKEND_PAUSE_MS);
  }

  active(backend: Backend): number {
    return this.inFlight.get(backend.id) ?? 0;
  }

  private unpaused(all: Backend[]): Backend[] {
    const now = this.now();
    for (const [id, until] of this.pausedUntil) if (until <= now) this.pausedUntil.delete(id);
    const live = all.filter((b) => !this.pausedUntil.has(b.id));
    return live.length > 0 ? live : all;
  }

  /** Scans from the round-robin cursor, so ties (an idle app) still spread evenly. */
  private leastConnections(entry: RouteEntry, live: Backend[]): Backend {
    const start = this.advance(entry, live.length);
    let best = live[start];
    let bestLoad = this.active(best);
    for (let i = 1; i < live.length && bestLoad > 0; i++) {
      const b = live[(start + i) % live.length];
      const load = this.active(b);
      if (load < bestLoad) {
        best = b;
        bestLoad = load;
      }
    }
    return best;
  }

  private twoChoices(live: Backend[]): Backend {
    const n = live.length;
    const i = Math.floor(this.random() * n);
    const j = (i + 1 + Math.floor(this.random() * (n - 1))) % n;
    const a = live[i];
    const b = live[j];
    return this.active(b) < this.active(a) ? b : a;
  }

  private advance(entry: RouteEntry, n: number): number {
    const i = entry.next % n;
    entry.next = (i + 1) % n;
    return i;
  }
}

