/**
 * Heroku's router queueing (RELIABILITY.md, "Router queueing"): a router sends at most
 * 50 requests at a time to one web process; a request that finds every process of its
 * app at that limit waits in the app's backlog, up to 50 per web process, and beyond
 * that is refused at once with a 503, H11 "Backlog too deep". A request waits at most
 * the first-byte timeout (H12), like one that a backend is slow to answer.
 *
 * The limits are per router process (each worker of router/workers.ts counts its own),
 * as on Heroku, where each router keeps its own counts.
 */
import type http from 'node:http';
import type { Backend, RouteEntry } from './table';

export const MAX_ACTIVE_PER_BACKEND = 50;

interface Waiting {
  send: (backend: Backend) => void;
  timer: NodeJS.Timeout;
}

export interface BacklogOptions {
  /** Requests in flight per web process before new ones wait (50). */
  perBackend?: number;
  /** How long a request may wait for a free process before its H12 (the first-byte timeout). */
  waitMs: number;
  /** A backend of `entry` below the limit, or none. */
  pick: (entry: RouteEntry, limit: number) => Backend | undefined;
  /** The app's entry now: the table replaces entries when routes change. */
  current: (app: string) => RouteEntry | undefined;
  /** H11 when the backlog is full; H12 when a request waited too long. */
  refuse: (res: http.ServerResponse, code: 'H11' | 'H12') => void;
}

export class Backlog {
  readonly perBackend: number;
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(private readonly o: BacklogOptions) {
    this.perBackend = o.perBackend ?? MAX_ACTIVE_PER_BACKEND;
  }

  /**
   * Sends the request to a process below its limit at once, or queues it, or refuses it
   * (H11). `send` is called at most once.
   */
  admit(entry: RouteEntry, res: http.ServerResponse, send: (backend: Backend) => void): void {
    const queue = this.waiting.get(entry.app);
    // Those already waiting go first: a newcomer may not overtake them.
    const backend = queue?.length ? undefined : this.o.pick(entry, this.perBackend);
    if (backend) return send(backend);
    const q = queue ?? [];
    if (q.length >= this.perBackend * entry.backends.length) return this.o.refuse(res, 'H11');
    const w: Waiting = {
      send,
      timer: setTimeout(() => {
        this.remove(entry.app, w);
        this.o.refuse(res, 'H12');
      }, this.o.waitMs),
    };
    q.push(w);
    this.waiting.set(entry.app, q);
    res.once('close', () => this.remove(entry.app, w));
  }

  /** A request of `app` ended: the first waiting ones get the freed places, on the app's current backends. */
  release(app: string): void {
    const q = this.waiting.get(app);
    if (!q?.length) return;
    const entry = this.o.current(app);
    while (entry && q.length) {
      const backend = this.o.pick(entry, this.perBackend);
      if (!backend) return;
      const w = q.shift()!;
      clearTimeout(w.timer);
      if (q.length === 0) this.waiting.delete(app);
      w.send(backend);
    }
  }

  /** Requests waiting for `app` (for tests and the bench). */
  depth(app: string): number {
    return this.waiting.get(app)?.length ?? 0;
  }

  private remove(app: string, w: Waiting): void {
    clearTimeout(w.timer);
    const q = this.waiting.get(app);
    const i = q?.indexOf(w) ?? -1;
    if (q && i >= 0) q.splice(i, 1);
    if (q && q.length === 0) this.waiting.delete(app);
  }
}
