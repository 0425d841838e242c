/**
 * /apps/:app/metrics: the app's last hour (or `minutes`) at one-minute resolution:
 * requests, status classes, router errors and latency percentiles from the routers,
 * crashes, and memory and CPU per process type from the hosts' cgroup samples.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { InvalidInputError, UnavailableError } from '../../shared';
import { aggregateMinutes } from '../metrics/aggregate';
import { appFor } from './access';
import type { ControllerServices, State } from './context';

export const metricsQuery = z.object({ minutes: z.coerce.number().int().min(1).max(60).default(60) });

export function metricRoutes(router: Router<State>, s: ControllerServices): void {
  router.get('/apps/:app/metrics', async (ctx) => {
    const app = await appFor(ctx);
    const parsed = metricsQuery.safeParse(ctx.query);
    if (!parsed.success) throw new InvalidInputError('Bad metrics options: minutes is a whole number from 1 to 60 (the last hour is kept).');
    if (!s.metrics) throw new UnavailableError('Metrics are kept by NATS JetStream, and this controller runs without NATS. Start it with NATS_URL (or under `paas up`).');
    const { minutes } = parsed.data;
    ctx.body = aggregateMinutes(app.name, await s.metrics.since(app.name, minutes), minutes);
  });
}
