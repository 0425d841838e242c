/**
 * Everything HTTPS a router adds to its plain listener, in one piece for start.ts: the
 * TLS state and its sync, the default certificate, the redirect hook for the plain
 * side, and the HTTPS listener serving through the plain server's handlers.
 */
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NatsConnection } from 'nats';
import type { ControllerClient } from '../controller';
import { UnavailableError, type Logger } from '../shared';
import { defaultCertificate, type PemPair } from './default-cert';
import { createHttpsServer, httpsRedirect, type HttpsRedirect } from './https-server';
import { syncTls, TlsStore } from './tls';

export interface TlsEdgeOptions {
  client: ControllerClient;
  nc?: NatsConnection;
  log: Logger;
  /** Where the default certificate is made and kept (router/ below it). */
  dataDir?: string;
  /** The default certificate covers *.<domain>. */
  domain?: string;
  /** Use this default certificate instead of making one. */
  defaultCertificate?: PemPair;
  reloadMs?: number;
  idleTimeoutMs?: number;
  /** The plain server's HTTP/1.1 limits, applied to HTTP/1.1 over TLS too. */
  http1?: http.ServerOptions;
}

export interface TlsEdge {
  store: TlsStore;
  /** Resolves once the certificates were loaded from the controller once. */
  ready: Promise<void>;
  redirect: HttpsRedirect;
  listen(inner: http.Server, port: number, bindAddress: string): Promise<number>;
  close(): Promise<void>;
}

export function tlsEdge(o: TlsEdgeOptions): TlsEdge {
  const pair = o.defaultCertificate ?? defaultCertificate(o.dataDir ?? '/var/lib/paas', o.domain ?? 'paas.localhost');
  const store = new TlsStore(pair);
  const sync = syncTls(store, o.client, o.nc, o.log, o.reloadMs);
  let server: https.Server | undefined;
  let port = 443;
  const sockets = new Set<TLSSocket>();
  return {
    store,
    ready: sync.ready,
    redirect: httpsRedirect(store, () => port),
    async listen(inner, wanted, bindAddress) {
      const s = createHttpsServer(store, inner, { idleTimeoutMs: o.idleTimeoutMs, http1: o.http1 });
      s.on('secureConnection', (socket: TLSSocket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' || err.code === 'EACCES'
            ? new UnavailableError(`The router cannot listen for HTTPS on ${bindAddress}:${wanted} (${err.code}). Set PAAS_ROUTER_HTTPS_PORT to a free port${wanted < 1024 ? ', or run paas as root for a port below 1024' : ''}.`, err)
            : err));
        s.listen(wanted, bindAddress, () => resolve());
      });
      server = s;
      port = (s.address() as AddressInfo).port;
      o.log.info('router listening for HTTPS', { port });
      return port;
    },
    async close() {
      sync.stop();
      const s = server;
      if (!s) return;
      // Like closeAllConnections on the plain side: keep-alive, HTTP/2 sessions and upgraded sockets end now.
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
