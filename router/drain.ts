/**
 * The router's side of draining: it announces itself every 2 s on
 * `paas.router.heartbeat` with an id stable for its lifetime, and answers
 * `paas.router.<id>.unroute` by dropping those backends from its live table before it
 * replies. The scheduler sends SIGTERM only after every live router replied, so no new
 * request reaches a process about to exit.
 *
 * Dropped backends stay dropped: a route sync that still lists them (the controller
 * has not forgotten the job yet, or a fetch raced the unroute) does not bring them back.
 * An id is released once a sync no longer lists it, or after 10 minutes.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { NatsConnection } from 'nats';
import type { ControllerClient, Route } from '../controller';
import { errorMessage, publish, subjects, subscribe, type Logger } from '../shared';
import { RouteTable } from './table';

const FORGET_AFTER_MS = 10 * 60_000;

/** A route table that remembers which backends were unrouted and keeps them out. */
export class DrainingRouteTable extends RouteTable {
  private readonly unrouted = new Map<string, number>();
  /** The last route set per app, as the controller sent it (before filtering). */
  private readonly routes = new Map<string, Route>();

  override set(route: Route): void {
    // Released here: once the controller stops listing a job, it never lists it again.
    const listed = new Set(route.backends.map((b) => b.id));
    for (const b of this.routes.get(route.app)?.backends ?? []) if (!listed.has(b.id)) this.unrouted.delete(b.id);
    const now = Date.now();
    for (const [id, at] of this.unrouted) if (now - at > FORGET_AFTER_MS) this.unrouted.delete(id);
    // super.set calls remove(), which forgets the app's route: record it after.
    super.set({ ...route, backends: route.backends.filter((b) => !this.unrouted.has(b.id)) });
    this.routes.set(route.app, route);
  }

  override remove(app: string): void {
    this.routes.delete(app);
    super.remove(app);
  }

  /** Drops backends now; returns the apps whose routes changed. */
  unroute(jobIds: string[]): string[] {
    const now = Date.now();
    for (const id of jobIds) this.unrouted.set(id, now);
    const routes = [...this.routes.values()].filter((r) => r.backends.some((b) => jobIds.includes(b.id)));
    for (const route of routes) this.set(route);
    return routes.map((r) => r.app);
  }

  isUnrouted(jobId: string): boolean {
    return this.unrouted.has(jobId);
  }
}

export interface RouterDrain {
  routerId: string;
  stop(): void;
}

export function startRouterDrain(table: DrainingRouteTable, client: ControllerClient, nc: NatsConnection, log: Logger, heartbeatMs = 2_000): RouterDrain {
  const routerId = `${os.hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${crypto.randomBytes(4).toString('hex')}`;
  const beat = (): void => {
    try {
      publish(nc, subjects.routerHeartbeat.name, subjects.routerHeartbeat.schema, { routerId, at: new Date().toISOString() });
    } catch (err) {
      log.debug('router heartbeat failed', { err: errorMessage(err) });
    }
  };
  beat();
  const timer = setInterval(beat, heartbeatMs);
  const sub = subscribe(nc, subjects.routerUnroute.name(routerId), subjects.routerUnroute.schema, log, async ({ jobIds }, reply) => {
    const apps = table.unroute(jobIds);
    // Fetch the apps' routes before replying: the replacements the scheduler just
    // reported up must be in the table once the old backends are out of it.
    await Promise.all(
      apps.map((app) =>
        withTimeout(client.route(app), 1_000)
          .then((route) => table.set(route))
          .catch((err) => log.warn('route refresh during unroute failed; serving the remaining backends', { app, err: errorMessage(err) })),
      ),
    );
    log.debug('unrouted', { jobs: jobIds, apps });
    reply({ routerId, unrouted: jobIds });
  });
  return {
    routerId,
    stop() {
      clearInterval(timer);
      sub.unsubscribe();
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}
