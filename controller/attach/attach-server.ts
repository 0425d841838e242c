/**
 * The API's WebSocket endpoint for attached one-offs: GET /apps/:app/dynos/:dyno/attach
 * with `Upgrade: websocket`, the user's token in Authorization as for every API call,
 * and the terminal's size as ?rows=&cols= (none: plain pipes). Refusals are ordinary HTTP
 * answers with the API's error body, before any upgrade.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { NatsConnection } from 'nats';
import { WebSocketServer } from 'ws';
import { errorMessage, NotFoundError, PaasError, terminalSize, type Logger, type TerminalSize } from '../../shared';
import { appForUser, userForAuthorization } from '../api/access';
import { OneOffRequestRow } from '../models';
import { parseAttachPath } from './attach-path';
import { relayAttach } from './attach-relay';

export interface AttachServerOptions {
  nc?: NatsConnection;
  log: Logger;
  waitMs?: number;
}

/** A WebSocket client that stops answering pings is gone (a lost network leaves no close). */
const PING_MS = 15_000;

export function serveAttachUpgrades(server: http.Server, o: AttachServerOptions): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    void accept(req)
      .then((target) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          let alive = true;
          ws.on('pong', () => (alive = true));
          const ping = setInterval(() => {
            if (!alive) return ws.terminate();
            alive = false;
            ws.ping();
          }, PING_MS);
          ws.once('close', () => clearInterval(ping));
          relayAttach(ws, { nc: o.nc as NatsConnection, log: o.log, waitMs: o.waitMs, ...target }).catch((err: unknown) => {
            o.log.error('attach relay failed', { dyno: target.dyno, err: errorMessage(err) });
            ws.terminate();
          });
        });
      })
      .catch((err: unknown) => refuse(socket, err, o.log));
  };

  const accept = async (req: http.IncomingMessage): Promise<{ jobId: string; dyno: string; tty: TerminalSize | null }> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const target = parseAttachPath(url.pathname);
    if (!target) throw new NotFoundError(`No such API endpoint: ${req.method} ${url.pathname}`);
    const user = await userForAuthorization(req.headers.authorization);
    const app = await appForUser(user, target.app);
    if (!o.nc) throw new PaasError('unavailable', 'Attached runs need NATS, which this controller runs without. Use `paas run --detach`.', { status: 503 });
    const row = await OneOffRequestRow.findOne({ where: { appId: app.id, dyno: target.dyno, attach: true } });
    if (!row) throw new NotFoundError(`No one-off ${target.dyno} of ${app.name} is waiting for a terminal. Start one with \`paas run COMMAND -a ${app.name}\`.`, 'dyno_not_found');
    const rows = url.searchParams.get('rows');
    const size = rows === null ? null : terminalSize.safeParse({ rows: Number(rows), cols: Number(url.searchParams.get('cols')) });
    if (size && !size.success) throw new PaasError('invalid_params', 'rows and cols must be whole numbers from 1 to 1000.', { status: 422 });
    return { jobId: row.id, dyno: row.dyno, tty: size ? size.data : null };
  };

  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  };
}

function refuse(socket: Duplex, err: unknown, log: Logger): void {
  const e = err instanceof PaasError ? err : undefined;
  if (!e) log.error('attach upgrade failed', { err: errorMessage(err) });
  const status = e?.status ?? 500;
  const body = JSON.stringify({ id: e?.code ?? 'internal_error', message: e?.expose ? e.message : 'Internal server error' });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
