/**
 * The controller's HTTP server: a small koa core, one error handler at the top, request
 * ids, a JSON body limit, then public and authenticated routes.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { errorMessage, NotFoundError } from '../shared';
import { openApiDocument } from './openapi';
import { authenticate } from './api/access';
import { accountRoutes, publicAccountRoutes } from './api/account';
import { appRoutes } from './api/apps';
import { appRenameRoutes } from './api/app-rename';
import { buildRoutes } from './api/builds';
import { configRoutes } from './api/config';
import type { ControllerServices, Ctx, State } from './api/context';
import { errorHandler } from './api/errors';
import { deployRoutes } from './api/deploys';
import { dynoRoutes } from './api/dynos';
import { formationRoutes } from './api/formation';
import { releaseRoutes } from './api/releases';
import { schedulingRoutes } from './api/scheduling';
import { collaboratorRoutes } from './api/collaborators';
import { domainRoutes } from './api/domains';
import { drainRoutes } from './api/drains';
import { certRoutes } from './api/certs';
import { hostRoutes } from './api/hosts';
import { joinTokenRoutes } from './api/join-tokens';
import { idempotency } from './api/idempotency';
import { nextPageLink } from './api/pagination';
import { rateLimit } from './api/rate-limit';
import { logRoutes } from './api/logs';
import { metricRoutes } from './api/metrics';
import { userRoutes } from './api/users';

export function createApi(s: ControllerServices): Koa<State> {
  const app = new Koa<State>();
  app.proxy = false;
  app.use(async (ctx, next) => {
    const incoming = ctx.get('x-request-id');
    ctx.state.requestId = /^[\w-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    await next();
  });
  app.use(errorHandler(s.log) as never);
  // What reaches Koa itself happens after the response started (a streamed body): a
  // client that leaves a `logs --tail` is normal; anything else is logged, not printed.
  app.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') s.log.error('response failed after it started', { err: errorMessage(err) });
  });
  app.use(nextPageLink as never);
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb', strict: true }));

  const open = new Router<State>();
  open.get('/health', (ctx) => {
    ctx.body = { ok: true };
  });
  open.get('/openapi.json', (ctx) => {
    ctx.body = openApiDocument();
  });
  publicAccountRoutes(open);

  const authed = new Router<State>();
  authed.use(authenticate as never);
  authed.use(rateLimit(s.rateLimitPerHour) as never);
  authed.use(idempotency() as never);
  accountRoutes(authed);
  appRoutes(authed, s);
  appRenameRoutes(authed, s);
  configRoutes(authed, s);
  buildRoutes(authed, s);
  releaseRoutes(authed, s);
  formationRoutes(authed, s);
  dynoRoutes(authed, s);
  deployRoutes(authed, s);
  schedulingRoutes(authed, s);
  userRoutes(authed);
  collaboratorRoutes(authed);
  domainRoutes(authed, s);
  certRoutes(authed, s);
  hostRoutes(authed, s);
  joinTokenRoutes(authed, s);
  logRoutes(authed, s);
  metricRoutes(authed, s);
  drainRoutes(authed, s);

  routesOf.set(app, [open, authed]);
  app.use(open.routes());
  app.use(authed.routes());
  app.use(authed.allowedMethods());
  app.use((ctx: Ctx) => {
    throw new NotFoundError(`No such API endpoint: ${ctx.method} ${ctx.path}`);
  });
  return app;
}

export async function listen(app: Koa<State>, port: number, host: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

const routesOf = new WeakMap<Koa<State>, Router<State>[]>();

/** Every method and path the API serves (for the OpenAPI completeness test). */
export function registeredRoutes(app: Koa<State>): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const router of routesOf.get(app) ?? []) {
    for (const layer of router.stack) {
      for (const method of layer.methods) if (method !== 'HEAD') out.push({ method: method.toLowerCase(), path: String(layer.path).replace(/:(\w+)/g, '{$1}') });
    }
  }
  return out;
}
