/**
 * The engine's REST API for operators (and tools) on one host: a unix socket in the
 * engine's data dir (mode 0600, so only root reaches it) that also wants the engine's
 * token, like the Docker daemon's socket but with a credential on top. Read routes list
 * and inspect images, containers and volumes; write routes stop, kill, restart and
 * remove containers. The scheduler does not use it: it drives hosts over NATS.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Koa from 'koa';
import Router from '@koa/router';
import { errorMessage, NotFoundError, PaasError, UnauthorizedError, type Logger } from '../shared';
import type { EngineApi } from './types';
import { routeEngine } from './api-routes';

export interface EngineApiServer {
  socketPath: string;
  close(): Promise<void>;
}

/** The token file next to the socket; created once with mode 0600. */
export function engineToken(dataDir: string): string {
  const file = path.join(dataDir, 'engine-token');
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}

export const engineSocketPath = (dataDir: string): string => path.join(dataDir, 'engine.sock');

export async function startEngineApi(engine: EngineApi, dataDir: string, log: Logger): Promise<EngineApiServer> {
  const token = Buffer.from(`Bearer ${engineToken(dataDir)}`);
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      const given = Buffer.from(ctx.get('authorization'));
      if (given.length !== token.length || !crypto.timingSafeEqual(given, token)) throw new UnauthorizedError('The engine API needs the token in <data dir>/engine/engine-token.');
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new NotFoundError(`No such engine endpoint: ${ctx.method} ${ctx.path}`);
    } catch (err) {
      const known = err instanceof PaasError ? err : undefined;
      ctx.status = known?.status ?? 500;
      if (ctx.status >= 500) log.error('engine api request failed', { path: ctx.path, err: errorMessage(err) });
      ctx.body = { id: known?.code ?? 'internal_error', message: known?.expose ? known.message : errorMessage(err) };
    }
  });
  const router = new Router();
  routeEngine(router, engine);
  app.use(router.routes());
  app.use(router.allowedMethods());

  const socketPath = engineSocketPath(dataDir);
  fs.rmSync(socketPath, { force: true });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
