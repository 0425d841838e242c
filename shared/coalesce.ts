/**
 * A task that runs one at a time, for work that reads the latest state each time it
 * runs (a reconcile, a reload, a sync): a call while it runs asks for one more run after
 * it, however many calls came meanwhile, and gets the promise of the runs in progress.
 * So a burst of events costs two runs, not one per event, and no change is missed.
 */
export interface Coalesced {
  /** Runs the task now, or once more after the run in progress; resolves when no run is left. */
  run(): Promise<void>;
  /** Resolves when no run is in progress (for a clean stop). */
  idle(): Promise<void>;
}

export function coalesce(task: () => Promise<void>, o: { onError: (err: unknown) => void; stopped?: () => boolean }): Coalesced {
  let running: Promise<void> | undefined;
  let again = false;
  const loop = async (): Promise<void> => {
    try {
      do {
        again = false;
        try {
          await task();
        } catch (err) {
          o.onError(err);
        }
      } while (again && !o.stopped?.());
    } finally {
      // In the same step as the last check of `again`: a call arriving after it starts a new loop.
      running = undefined;
    }
  };
  return {
    run() {
      if (o.stopped?.()) return running ?? Promise.resolve();
      if (running) {
        again = true;
        return running;
      }
      running = loop();
      return running;
    },
    idle: () => running ?? Promise.resolve(),
  };
}
