/**
 * Router log lines in Heroku's format, published on the app's log stream (source
 * 'paas', dyno 'router') so `paas logs` shows them beside the app's own output:
 *
 *   at=info method=GET path="/" host=hello.paas.localhost request_id=… fwd="10.0.0.1" dyno=web.1 connect=1ms service=12ms status=200 bytes=13 protocol=http
 *   at=error code=H12 desc="Request timeout" method=GET path="/" … status=503 bytes=0 protocol=http
 *
 * Lines are queued and published once per event-loop turn (setImmediate), never
 * awaited on the request path; a full queue (NATS away for long) drops lines rather
 * than memory.
 */
import type http from 'node:http';
import type { NatsConnection } from 'nats';
import { publish, subjects, type AppLogLine, type Logger } from '../shared';
import { clientAddress } from './hygiene';
import type { RequestObserver } from './request-metrics';

/** Heroku's router error codes the router reports. */
export const ERROR_CODES: Record<string, string> = {
  H10: 'App crashed',
  H11: 'Backlog too deep',
  H12: 'Request timeout',
  H13: 'Connection closed without response',
  H14: 'No web processes running',
  H15: 'Idle connection',
  H18: 'Server Request Interrupted',
  H27: 'Client Request Interrupted',
  H99: 'Platform error',
};

/** The router's own pages name their code in x-paas-error (pages.ts); these map to Heroku's. */
const PAGE_CODES: Record<string, string> = { backend_unreachable: 'H10', H11: 'H11', H12: 'H12', H13: 'H13', H14: 'H14' };

/**
 * pages.ts writes x-paas-error with writeHead(status, headers), which getHeader cannot
 * read back, so a page the router wrote itself is told by its status: 503 before any
 * upstream request is "no web process", 502 is a failed connect (no upstream request
 * yet) or a backend that closed without answering.
 */
const pageCodeOf = (status: number, wentUpstream: boolean): string | undefined =>
  status === 503 && !wentUpstream ? 'H14' : status === 502 ? (wentUpstream ? 'H13' : 'H10') : undefined;

export interface LogFields {
  at: 'info' | 'error';
  code?: string;
  method: string;
  path: string;
  host: string;
  requestId: string;
  fwd: string;
  dyno: string;
  connectMs: number;
  serviceMs: number;
  status: number;
  bytes: number;
  protocol: string;
}

// A client chooses the path and headers: control characters would let it forge lines.
const quote = (s: string): string => `"${s.replace(/\p{Cc}/gu, '').replace(/[\\"]/g, '\\$&')}"`;
const bare = (s: string): string => s.replace(/[\s"\\\p{Cc}]/gu, '');

export function formatLine(f: LogFields): string {
  const head = f.at === 'error' && f.code ? `at=error code=${f.code} desc="${ERROR_CODES[f.code] ?? 'Router error'}" ` : `at=${f.at} `;
  return (
    head +
    `method=${bare(f.method)} path=${quote(f.path.slice(0, 2048))} host=${bare(f.host)} request_id=${bare(f.requestId)} fwd=${quote(f.fwd)} ` +
    `dyno=${f.dyno} connect=${Math.round(f.connectMs)}ms service=${Math.round(f.serviceMs)}ms status=${f.status} bytes=${f.bytes} protocol=${f.protocol}`
  );
}

export type LogSink = (app: string, line: string) => void;

/** Publishes lines on subjects.appLog, batched per event-loop turn. */
export function natsLogSink(nc: NatsConnection, hostId: string, log: Logger, maxQueued = 10_000): LogSink {
  let queue: { app: string; line: string; time: string }[] = [];
  let scheduled = false;
  let dropped = 0;
  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (const q of batch) {
      const value: AppLogLine = { app: q.app, jobId: `router-${hostId}`, processType: 'router', hostId, stream: 'stdout', source: 'paas', dyno: 'router', time: q.time, line: q.line };
      try {
        publish(nc, subjects.appLog.name(q.app), subjects.appLog.schema, value);
      } catch (err) {
        log.debug('router log line not published', { app: q.app, err });
      }
    }
    if (dropped > 0) {
      log.warn('router log lines dropped: the queue to NATS was full', { dropped });
      dropped = 0;
    }
  };
  return (app, line) => {
    if (queue.length >= maxQueued) {
      dropped++;
      return;
    }
    queue.push({ app, line, time: new Date().toISOString() });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

/**
 * One request's record: started when the router knows the app, the backend and the
 * upstream request are noted as they happen, and the line is written when the client's
 * response closes (finished or not).
 */
export class Exchange {
  readonly start = performance.now();
  upstreamAt?: number;
  dyno = 'none';
  /** Set by whoever knows the failure better than the status (timeouts, upstream errors). */
  code?: string;
  bytes = 0;
  /** The response came from the backend (else the router wrote it: one of its pages). */
  responded = false;

  constructor(
    private readonly sink: LogSink | undefined,
    readonly app: string,
    private readonly req: http.IncomingMessage,
    res: http.ServerResponse | undefined,
    private readonly protocol: string,
    private readonly observe?: RequestObserver,
  ) {
    if (res) res.once('close', () => this.finish(res.statusCode, res.writableFinished, res.getHeader('x-paas-error')));
  }

  /** The request went out to a backend. */
  upstream(dyno: string): void {
    this.upstreamAt = performance.now();
    this.dyno = dyno;
  }

  /** For upgrades, which have no ServerResponse: called when the tunnel closes. */
  finish(status: number, completed: boolean, pageCode?: unknown): void {
    const now = performance.now();
    let code = this.code ?? (typeof pageCode === 'string' ? PAGE_CODES[pageCode] : undefined) ?? (this.responded ? undefined : pageCodeOf(status, this.upstreamAt !== undefined));
    if (!code && !completed) code = 'H27';
    const connectMs = (this.upstreamAt ?? now) - this.start;
    const reported = code === 'H27' ? 499 : status;
    this.observe?.(this.app, reported, code, now - this.start);
    if (!this.sink) return;
    this.sink(
      this.app,
      formatLine({
        at: code ? 'error' : 'info',
        code,
        method: this.req.method ?? '',
        path: this.req.url ?? '',
        host: this.req.headers.host ?? '',
        requestId: String(this.req.headers['x-request-id'] ?? ''),
        fwd: String(this.req.headers['x-forwarded-for'] ?? clientAddress(this.req)),
        dyno: this.dyno,
        connectMs,
        serviceMs: this.upstreamAt === undefined ? 0 : now - this.upstreamAt,
        status: reported,
        bytes: this.bytes,
        protocol: this.protocol,
      }),
    );
  }
}
