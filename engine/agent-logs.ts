/**
 * Forwards every line a job's container writes to NATS, one subject per app
 * (`paas.engine.log.<app>`), so the platform's log stream (`paas logs`) can gather an
 * app's lines from every host, marked source 'app' with their dyno (web.1). Lines of
 * containers that are not jobs (builds) stay local.
 */
import type { NatsConnection } from 'nats';
import { publish, subjects, type Logger } from '../shared';
import { isJob, jobDyno, LABEL_APP, LABEL_PROCESS_TYPE } from './job-mapping';
import type { ContainerInfo, EngineApi } from './types';

export function forwardLogs(engine: EngineApi, nc: NatsConnection, hostId: string, log: Logger): () => void {
  const jobs = new Map<string, ContainerInfo | null>();
  const unsubscribeExit = engine.onExit((c) => jobs.delete(c.id));
  const unsubscribeLog = engine.onLog((id, entry) => {
    void (async () => {
      if (!jobs.has(id)) {
        const c = await engine.inspect(id);
        jobs.set(id, c && isJob(c) ? c : null);
      }
      const c = jobs.get(id);
      if (!c) return;
      try {
        publish(nc, subjects.appLog.name(c.labels[LABEL_APP] ?? ''), subjects.appLog.schema, {
          app: c.labels[LABEL_APP] ?? '',
          jobId: id,
          processType: c.labels[LABEL_PROCESS_TYPE] ?? '',
          hostId,
          stream: entry.stream === 'stderr' ? 'stderr' : 'stdout',
          source: 'app',
          dyno: jobDyno(c),
          time: entry.time,
          line: entry.line,
        });
      } catch (err) {
        log.debug('log line not forwarded', { id, err });
      }
    })();
  });
  return () => {
    unsubscribeLog();
    unsubscribeExit();
  };
}
