/**
 * The router's TLS state: a secure context per host name served by an app certificate
 * (SNI picks the exact name, then the wildcard one level up, then the default
 * certificate), and the apps whose plain-HTTP requests are redirected to HTTPS.
 * Kept current like the route table: a full load at start and every `reloadMs`, and a
 * reload on certs.changed / routes.changed (domains moved) / app.deleted. When the
 * controller is away the last good state stays.
 */
import tls from 'node:tls';
import type { NatsConnection } from 'nats';
import type { ControllerClient, RouterTls } from '../controller';
import { coalesce, errorMessage, subjects, subscribe, type Logger } from '../shared';
import type { PemPair } from './default-cert';
import { normalizeHost } from './table';

export class TlsStore {
  private byHost = new Map<string, tls.SecureContext>();
  private forced = new Set<string>();
  readonly defaultContext: tls.SecureContext;

  constructor(readonly defaultPair: PemPair) {
    this.defaultContext = tls.createSecureContext({ cert: defaultPair.cert, key: defaultPair.key });
  }

  /** Swaps in a whole new state; a certificate Node cannot load is skipped, never fatal. */
  replace(state: RouterTls, log?: Logger): void {
    const byHost = new Map<string, tls.SecureContext>();
    for (const c of state.certificates) {
      let context: tls.SecureContext;
      try {
        context = tls.createSecureContext({ cert: c.certificate_chain, key: c.private_key });
      } catch (err) {
        log?.warn('certificate not loaded', { app: c.app, id: c.id, err: errorMessage(err) });
        continue;
      }
      // Oldest first from the controller: a newer certificate for the same name wins.
      for (const h of c.hostnames) byHost.set(h.toLowerCase(), context);
    }
    this.byHost = byHost;
    this.forced = new Set(state.force_https);
  }

  /** The exact name, then `*.parent` for one level below, else the default certificate. */
  contextFor(servername: string | undefined): tls.SecureContext {
    if (!servername) return this.defaultContext;
    const host = normalizeHost(servername);
    const exact = this.byHost.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    return (dot > 0 ? this.byHost.get(`*${host.slice(dot)}`) : undefined) ?? this.defaultContext;
  }

  forcesHttps(app: string): boolean {
    return this.forced.has(app);
  }

  get size(): number {
    return this.byHost.size;
  }
}

export interface TlsSync {
  /** Resolves once the first full load succeeded. */
  ready: Promise<void>;
  /** Reloads now (coalesced with a reload already running). */
  reload(): Promise<void>;
  stop(): void;
}

export function syncTls(store: TlsStore, client: ControllerClient, nc: NatsConnection | undefined, log: Logger, reloadMs = 30_000): TlsSync {
  let stopped = false;
  let loaded = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const loadOnce = async (): Promise<void> => {
    store.replace(await client.routerTls(), log);
    loaded = true;
    markReady();
  };
  // Events come in bursts (a deploy's routes.changed per job): one load at a time, and
  // one more after it when something changed meanwhile.
  const loads = coalesce(loadOnce, {
    onError: (err) => log.warn('TLS reload failed; serving the last good certificates', { err: errorMessage(err) }),
    stopped: () => stopped,
  });
  const reload = (): Promise<void> => loads.run();

  void (async () => {
    for (let delay = 200; !stopped && !loaded; delay = Math.min(delay * 2, 5_000)) {
      await reload();
      if (!loaded) await new Promise((r) => setTimeout(r, delay));
    }
  })();

  const subs = nc
    ? [subjects.certsChanged, subjects.routesChanged, subjects.appDeleted, subjects.appRenamed].map((s) => subscribe(nc, s.name, s.schema, log, () => void reload()))
    : [];
  const timer = setInterval(() => void reload(), reloadMs);
  return {
    ready,
    reload,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const s of subs) s.unsubscribe();
    },
  };
}
