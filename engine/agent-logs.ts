/**
 * Forwards every line a job's container writes to the app's log stream through the
 * host's LogShipper (one subject per app, `paas.engine.log.<app>`), so `paas logs`
 * gathers an app's lines from every host, marked source 'app' with their dyno (web.1).
 * Lines of containers that are not jobs (builds) stay local.
 */
import type { Logger } from '../shared';
import { isJob, jobLogLine } from './job-mapping';
import type { LogShipper } from './log-shipper';
import type { ContainerInfo, EngineApi, LogEntry } from './types';

interface Source {
  /** undefined while the container is being looked up; null: not a job. */
  info?: ContainerInfo | null;
  /** Lines that came while it was looked up, shipped after, in order. */
  pending: LogEntry[];
}

export function forwardLogs(engine: EngineApi, shipper: LogShipper, hostId: string, log: Logger): () => void {
  const sources = new Map<string, Source>();
  const send = (id: string, c: ContainerInfo, entry: LogEntry): void =>
    shipper.ship(id, jobLogLine(c, hostId, 'app', entry.stream === 'stderr' ? 'stderr' : 'stdout', entry.time, entry.line));
  const unsubscribeExit = engine.onExit((c) => sources.delete(c.id));
  const unsubscribeLog = engine.onLog((id, entry) => {
    const known = sources.get(id);
    if (known?.info) return send(id, known.info, entry);
    if (known) {
      if (known.info === undefined) known.pending.push(entry);
      return;
    }
    const s: Source = { pending: [entry] };
    sources.set(id, s);
    void engine.inspect(id).then(
      (c) => {
        s.info = c && isJob(c) ? c : null;
        if (s.info) for (const e of s.pending) send(id, s.info, e);
        s.pending = [];
      },
      (err: unknown) => {
        log.debug('log source not inspected', { id, err });
        sources.delete(id);
      },
    );
  }, { accepting: (id) => shipper.accepting(id), full: (id) => shipper.full(id), skipped: (id, lines) => shipper.skipped(id, lines) });
  return () => {
    unsubscribeLog();
    unsubscribeExit();
  };
}
