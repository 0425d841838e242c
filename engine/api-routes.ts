/** The engine API's routes: thin adapters from HTTP to the EngineApi. */
import type Router from '@koa/router';
import { InvalidInputError, NotFoundError } from '../shared';
import type { EngineApi } from './types';

const DEFAULT_GRACE_MS = 30_000;

function graceFrom(query: unknown): number {
  const raw = (query as { grace_ms?: string }).grace_ms;
  if (raw === undefined) return DEFAULT_GRACE_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new InvalidInputError('grace_ms must be a non-negative integer (milliseconds).');
  return n;
}

export function routeEngine(router: Router, engine: EngineApi): void {
  router.get('/v1/info', async (ctx) => {
    const [containers, images] = await Promise.all([engine.list(), engine.images()]);
    ctx.body = {
      runtime: engine.runtime,
      bridge_address: engine.bridgeAddress,
      containers: containers.length,
      running: containers.filter((c) => c.state === 'running').length,
      images: images.length,
    };
  });

  router.get('/v1/images', async (ctx) => {
    ctx.body = await engine.images();
  });

  router.get('/v1/images/:ref', async (ctx) => {
    const image = await engine.image(ctx.params.ref);
    if (!image) throw new NotFoundError(`No image ${ctx.params.ref} on this host.`);
    ctx.body = image;
  });

  router.get('/v1/containers', async (ctx) => {
    ctx.body = await engine.list();
  });

  router.get('/v1/containers/:id', async (ctx) => {
    const c = await engine.inspect(ctx.params.id);
    if (!c) throw new NotFoundError(`No container ${ctx.params.id} on this host.`);
    ctx.body = c;
  });

  router.post('/v1/containers/:id/stop', async (ctx) => {
    ctx.body = await engine.stop(ctx.params.id, graceFrom(ctx.query));
  });

  router.delete('/v1/containers/:id', async (ctx) => {
    await engine.remove(ctx.params.id);
    ctx.status = 204;
  });

  router.get('/v1/volumes', async (ctx) => {
    ctx.body = await engine.volumes();
  });

  router.get('/v1/volumes/:name', async (ctx) => {
    const v = await engine.inspectVolume(ctx.params.name);
    if (!v) throw new NotFoundError(`No volume ${ctx.params.name} on this host.`);
    ctx.body = v;
  });

  router.delete('/v1/volumes/:name', async (ctx) => {
    await engine.removeVolume(ctx.params.name);
    ctx.status = 204;
  });
}
