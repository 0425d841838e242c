/**
 * /apps/:app/logs: the app's recent lines in Heroku's format (`lines`, at most 1,500;
 * `dyno` = `web.1` or `web`; `source` = `app` or `paas`), as text/plain; with
 * `tail=true` the response stays open and new lines follow as they are stored.
 */
import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import { z } from 'zod';
import { errorMessage, InvalidInputError, UnavailableError, type AppLogLine } from '../../shared';
import { formatLogLine, herokuTime } from '../logs/log-format';
import { DEFAULT_LINES_PER_APP } from '../logs/log-store';
import { appFor } from './access';
import type { ControllerServices, State } from './context';

export const logsQuery = z.object({
  lines: z.coerce.number().int().min(0).max(DEFAULT_LINES_PER_APP).default(100),
  dyno: z.string().regex(/^[a-z0-9_-]+(\.[a-z0-9_-]+)?$/i).max(64).optional(),
  source: z.enum(['app', 'paas']).optional(),
  tail: z.enum(['true', 'false', '1', '0']).optional(),
});

/** A tail client that reads slower than the app logs holds at most this much in the controller. */
export const TAIL_BUFFER_BYTES = 1024 * 1024;

/**
 * Writes a tail's lines while the client keeps up; past TAIL_BUFFER_BYTES unread, lines
 * are dropped and counted, and once it caught up half the buffer a line says how many
 * were lost, as Heroku's Logplex says it (L11).
 */
export function tailWriter(out: PassThrough, app: string): (l: AppLogLine) => void {
  let dropped = 0;
  let since = '';
  return (l) => {
    // Once dropping, it goes on until the client read half the buffer (no flapping).
    if (out.writableLength > (dropped > 0 ? TAIL_BUFFER_BYTES / 2 : TAIL_BUFFER_BYTES)) {
      if (dropped++ === 0) since = l.time;
      return;
    }
    if (dropped > 0) {
      const notice: AppLogLine = { ...l, app, source: 'paas', dyno: 'logplex', jobId: 'logplex', time: new Date().toISOString(), line: `Error L11 (Tail buffer overflow) -> This tail session dropped ${dropped} messages since ${herokuTime(since)}` };
      out.write(formatLogLine(notice) + '\n');
      dropped = 0;
    }
    out.write(formatLogLine(l) + '\n');
  };
}

export function logRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/logs', async (ctx) => {
    const app = await appFor(ctx);
    const parsed = logsQuery.safeParse(ctx.query);
    if (!parsed.success) {
      throw new InvalidInputError(`Bad log options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}. Use lines (0-1500), dyno (web or web.1), source (app or paas), tail (true).`);
    }
    const q = parsed.data;
    if (!s.logs) throw new UnavailableError('Logs are kept by NATS JetStream, and this controller runs without NATS. Start it with NATS_URL (or under `paas up`).');
    const filter = { dyno: q.dyno, source: q.source };
    const { lines: recent, lastSeq } = await s.logs.recent(app.name, q.lines, filter);
    ctx.type = 'text/plain; charset=utf-8';
    const tail = q.tail === 'true' || q.tail === '1';
    if (!tail) {
      ctx.body = recent.map((l) => formatLogLine(l) + '\n').join('');
      return;
    }
    // Live: the recent lines, then everything stored after the last of them, until the client goes.
    const out = new PassThrough();
    for (const l of recent) out.write(formatLogLine(l) + '\n');
    const ac = new AbortController();
    ctx.req.once('close', () => ac.abort());
    out.once('close', () => ac.abort());
    ctx.set('cache-control', 'no-cache');
    ctx.body = out;
    void s.logs
      .follow(app.name, lastSeq, filter, tailWriter(out, app.name), ac.signal)
      .catch((err) => s.log.warn('log tail ended', { app: app.name, err: errorMessage(err) }))
      .finally(() => out.end());
  });
}
