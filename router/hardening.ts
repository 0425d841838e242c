/**
 * The hooks the proxy core calls (router/README.md, "Hooking in"): request hygiene,
 * Heroku's timeouts, upgrade tunnels and router log lines, attached to one http-proxy
 * instance. The core stays in proxy.ts; this file only listens to http-proxy's events
 * and to the request's own, and never awaits anything on the request path.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type httpProxy from 'http-proxy';
import { Exchange, type LogSink } from './access-log';
import type { RequestObserver } from './request-metrics';
import { prepareForwarding, refuseReason, stripResponseHopByHop } from './hygiene';
import { sendError } from './pages';
import type { RouteEntry } from './table';
import { routerTimeouts, serverTimeoutOptions, watchExchange, type RouterTimeouts } from './timeouts';
import { watchUpgrade } from './upgrade';

export interface HardeningOptions {
  timeouts?: Partial<RouterTimeouts>;
  /** Where router log lines go (access-log.ts natsLogSink); none: not logged. */
  logSink?: LogSink;
  /** Counts every request for the app's metrics (request-metrics.ts). */
  observe?: RequestObserver;
}

export interface Hardening {
  timeouts: RouterTimeouts;
  /** Options for http.createServer (header timeout against slow clients). */
  serverOptions: http.ServerOptions;
  /** First thing for every request: false when it was refused with a 400 (nothing else to do). */
  admit(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Once the host matched an app: starts the request's log line. */
  routed(req: http.IncomingMessage, res: http.ServerResponse, entry: RouteEntry): void;
  /** First thing for every upgrade request: false when the socket was answered 400 and closed. */
  admitUpgrade(req: http.IncomingMessage, socket: Duplex): boolean;
  routedUpgrade(req: http.IncomingMessage, socket: Duplex, entry: RouteEntry): void;
}

/** Only kept when lines are logged: the timers need nothing from the route. */
interface Tracked {
  entry: RouteEntry;
  exchange: Exchange;
}

export function attachHardening(proxy: httpProxy, options: HardeningOptions = {}): Hardening {
  const timeouts = routerTimeouts(options.timeouts);
  const sink = options.logSink;
  const observe = options.observe;
  const tracked = new WeakMap<http.IncomingMessage, Tracked>();
  const protocolOf = (req: http.IncomingMessage): string => String(req.headers['x-forwarded-proto'] ?? 'http');

  const dynoOf = (t: Tracked, target: unknown): string => {
    const { host, port } = (target ?? {}) as { host?: string; port?: number };
    const b = t.entry.backends.find((x) => x.ip === host && x.port === Number(port));
    return b?.dyno ?? b?.id ?? 'unknown';
  };

  proxy.on('proxyReq', (proxyReq, req, res, opts) => {
    const t = tracked.get(req);
    t?.exchange?.upstream(dynoOf(t, opts.target));
    watchExchange(
      req,
      res,
      proxyReq,
      timeouts,
      (code) => {
        if (t?.exchange) t.exchange.code = code;
        if (code === 'H12') sendError(res, 503, 'H12', 'Request timeout', `The app did not start its response within ${timeouts.responseMs / 1000} s. Make the request faster, or move the work to a worker process.`);
        else res.destroy();
      },
      t?.exchange ? (n) => (t.exchange!.bytes += n) : undefined,
    );
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    stripResponseHopByHop(proxyRes.headers);
    // The client's Connection was stripped before going upstream; http-proxy's
    // setConnection reads it back, so it is restored from Node's own keep-alive decision.
    if (req.httpVersion !== '2.0') req.headers.connection = proxyRes.headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
    const ex = tracked.get(req)?.exchange;
    if (ex) ex.responded = true;
  });

  proxy.on('error', (_err, req) => {
    const ex = tracked.get(req)?.exchange;
    // The backend closed while the request body was still coming: Heroku's H18.
    if (ex && !ex.code) ex.code = req.complete ? 'H13' : 'H18';
  });

  proxy.on('proxyReqWs', (proxyReq, req, socket, opts) => {
    const t = tracked.get(req);
    t?.exchange?.upstream(dynoOf(t, opts.target));
    watchUpgrade(proxyReq, socket, timeouts.idleMs, t?.exchange);
  });

  return {
    timeouts,
    serverOptions: serverTimeoutOptions(timeouts),
    admit(req, res) {
      const why = refuseReason(req);
      if (why) {
        sendError(res, 400, 'bad_request', 'Bad request', `The router refused this request: it has ${why}.`);
        return false;
      }
      prepareForwarding(req);
      return true;
    },
    routed(req, res, entry) {
      if (sink || observe) tracked.set(req, { entry, exchange: new Exchange(sink, entry.app, req, res, protocolOf(req), observe) });
    },
    admitUpgrade(req, socket) {
      const why = refuseReason(req);
      if (why) {
        socket.end(`HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-type: text/plain\r\n\r\nThe router refused this request: it has ${why}.\n`);
        return false;
      }
      prepareForwarding(req, true);
      return true;
    },
    routedUpgrade(req, _socket, entry) {
      if (sink || observe) tracked.set(req, { entry, exchange: new Exchange(sink, entry.app, req, undefined, protocolOf(req), observe) });
    },
  };
}
