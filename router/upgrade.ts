/**
 * WebSockets and other upgrades through http-proxy. What http-proxy leaves open is
 * closed here: a client that goes away before the backend answers takes the upstream
 * request down, either end of a tunnel closing destroys the other (http-proxy only
 * half-closes on an error, so a vanished client could pin a backend socket), and a
 * tunnel with no byte either way for the idle timeout is cut (Heroku H15).
 */
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Exchange } from './access-log';

export function watchUpgrade(upstream: http.ClientRequest, socket: Duplex, idleMs: number, exchange?: Exchange): void {
  let logged = false;
  const finish = (status: number, completed: boolean): void => {
    if (logged) return;
    logged = true;
    exchange?.finish(status, completed);
  };
  let tunnel: net.Socket | undefined;
  const clientGone = (): void => {
    if (tunnel) tunnel.destroy();
    else if (!upstream.destroyed) {
      upstream.removeAllListeners('error');
      upstream.on('error', () => undefined);
      upstream.destroy();
      finish(499, false);
    }
  };
  socket.once('close', clientGone);
  (socket as net.Socket).setTimeout?.(idleMs);
  socket.once('timeout', () => {
    if (exchange) exchange.code = 'H15';
    socket.destroy();
  });
  upstream.once('response', (res: http.IncomingMessage) => finish(res.statusCode ?? 0, true));
  upstream.once('upgrade', (_res: http.IncomingMessage, proxySocket: net.Socket) => {
    tunnel = proxySocket;
    const onClose = (): void => {
      socket.destroy();
      proxySocket.destroy();
      finish(101, true);
    };
    proxySocket.once('close', onClose);
    socket.once('close', onClose);
  });
  upstream.once('error', () => {
    if (exchange && !exchange.code) exchange.code = 'H13';
    finish(502, true);
  });
}
