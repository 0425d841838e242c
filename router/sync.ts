/**
 * Keeps the route table current: a full load from the controller at start and every
 * `reloadMs`, and per-app updates from NATS events in between. When the controller or
 * NATS is away the table keeps its last good contents.
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
  let loaded = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const reload = async (): Promise<void> => {
    try {
      table.replace(await client.routes());
      loaded = true;
      markReady();
    } catch (err) {
      log.warn('route reload failed; serving the last good table', { err: errorMessage(err) });
    }
  };

  // The controller may start after the router: retry the first load with backoff.
  const first = async (): Promise<void> => {
    for (let delay = 200; !stopped && !loaded; delay = Math.min(delay * 2, 5_000)) {
      await reload();
      if (!loaded) await sleep(delay);
    }
  };
  void first();

  const subs = nc
    ? [
        subscribe(nc, subjects.routesChanged.name, subjects.routesChanged.schema, log, async ({ app }) => {
          table.set(await client.route(app));
        }),
        subscribe(nc, subjects.appDeleted.name, subjects.appDeleted.schema, log, ({ app }) => table.remove(app)),
      ]
    : [];
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
