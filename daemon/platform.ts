/**
 * `paas up`: one node with every role (node.ts): NATS (embedded, or NATS_URL), the
 * controller, the engine and its agent, the registry, the scheduler, the router and the
 * builder. PAAS_ROLES does not apply: `paas up` is always the whole platform on one
 * machine (PAAS_HOST_JOBS=0 leaves only the agent out). Containers keep running when
 * the platform stops; the next start re-adopts them.
 */
import type { RunningBuilder } from '../builder';
import type { RunningController } from '../controller';
import type { EngineApi } from '../engine';
import type { RunningRouter } from '../router';
import type { RunningScheduler } from '../scheduler';
import { ROLES, type Logger, type PaasConfig } from '../shared';
import { startNode } from './node';

export interface Platform {
  config: PaasConfig;
  controller: RunningController;
  router: RunningRouter;
  builder: RunningBuilder;
  engine: EngineApi;
  scheduler: RunningScheduler;
  natsUrl: string;
  registryUrl: string;
  gitUrl(app: string): string;
  webUrl(app: string): string;
  stop(): Promise<void>;
}

export async function startPlatform(config: PaasConfig, log: Logger): Promise<Platform> {
  // PAAS_HOST_JOBS=0: a control-plane node; its engine builds, but no agent offers it jobs.
  const roles = ROLES.filter((r) => r !== 'host' || config.hostJobs);
  const node = await startNode({ ...config, roles }, log);
  const { controller, router, builder, engine, scheduler } = node;
  if (!controller || !router || !builder || !engine || !scheduler) {
    await node.stop();
    throw new Error('a node with every role started without one of them');
  }
  return {
    config,
    controller,
    router,
    builder,
    engine,
    scheduler,
    natsUrl: node.natsUrl,
    registryUrl: `http://${config.publicHost}:${config.registryPort}`,
    gitUrl: node.gitUrl,
    webUrl: node.webUrl,
    stop: node.stop,
  };
}
