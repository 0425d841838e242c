/**
 * Keeps the route table current: a full load from the controller at start and every
 * `reloadMs`, and per-app updates from NATS events in between. When the controller or
 * NATS is away the table keeps its last good contents, and catches up as soon as they
 * are back: an event whose route could not be fetched brings a full reload, retried
 * with backoff until the controller answers, and so does every NATS reconnect (events
 * published meanwhile were missed).
 */
import type { NatsConnection } from 'nats';
import type { ControllerClient } from '../controller';
import { errorMessage, subjects, subscribe, type Logger } from '../shared';
import type { RouteTable } from './table';

export interface RouteSync {
  /** Resolves once the first full load succeeded. */
  ready: Promise<void>;
  stop(): void;
}

export function syncRoutes(table: RouteTable, client: ControllerClient, nc: NatsConnection | undefined, log: Logger, reloadMs = 30_000): RouteSync {
  let stopped = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const reload = async (): Promise<boolean> => {
    try {
      table.replace(await client.routes());
      markReady();
      return true;
    } catch (err) {
      log.warn('route reload failed; serving the last good table', { err: errorMessage(err) });
      return false;
    }
  };

  /** Reloads until one succeeds (backoff 200 ms doubling to 5 s); one such loop at a time. */
  let catchingUp: Promise<void> | undefined;
  const catchUp = (): Promise<void> =>
    (catchingUp ??= (async () => {
      for (let delay = 200; !stopped && !(await reload()); delay = Math.min(delay * 2, 5_000)) await sleep(delay);
    })().finally(() => (catchingUp = undefined)));
  // The controller may start after the router.
  void catchUp();

  /** Loads one app's route; `renamedFrom`: the entry of its old name goes (after the fetch: no gap for custom domains). */
  const refresh = async (app: string, renamedFrom?: string): Promise<void> => {
    try {
      const route = await client.route(app);
      if (renamedFrom) table.remove(renamedFrom);
      table.set(route);
    } catch (err) {
      if (renamedFrom) table.remove(renamedFrom);
      log.warn('could not fetch a changed route; reloading until the controller answers', { app, err: errorMessage(err) });
      void catchUp();
    }
  };
  const subs = nc
    ? [
        subscribe(nc, subjects.routesChanged.name, subjects.routesChanged.schema, log, ({ app }) => refresh(app)),
        subscribe(nc, subjects.appDeleted.name, subjects.appDeleted.schema, log, ({ app }) => table.remove(app)),
        // The old name's host answers as an unknown app at once; the new one as soon as its route is here.
        subscribe(nc, subjects.appRenamed.name, subjects.appRenamed.schema, log, ({ app, from }) => refresh(app, from)),
      ]
    : [];
  if (nc) {
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'reconnect' && !stopped) void catchUp();
    })();
  }
  const timer = setInterval(() => void reload(), reloadMs);

  return {
    ready,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const s of subs) s.unsubscribe();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
