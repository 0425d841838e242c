/**
 * The composition root for one host: NATS (embedded or external), the controller, the
 * engine and its agent, the scheduler, the router and the builder, started in the
 * order they depend on each other and stopped in reverse. Containers keep running when
 * the platform stops; the next start re-adopts them.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { setPublishTarget, startBuilder, type RunningBuilder } from '../builder';
import { ControllerClient, startController, type RunningController } from '../controller';
import { setPullCredentials, startRegistry, type EngineApi } from '../engine';
import { startRouter, type RunningRouter } from '../router';
import { startScheduler, type RunningScheduler } from '../scheduler';
import { connectNats, errorMessage, type Logger, type PaasConfig } from '../shared';
import { startEmbeddedNats, type EmbeddedNats } from './nats-server';
import { registryCredentials } from './host';
import { openHostEngine, startHostAgent, type StopSteps } from './host-engine';

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
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const stops: StopSteps = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn('stop step failed', { err: errorMessage(err) }));
  };
  const portSuffix = config.routerPort === 80 ? '' : `:${config.routerPort}`;
  const webUrl = (app: string): string => `http://${app}.${config.domain}${portSuffix}/`;
  const gitUrl = (app: string): string => `http://${config.publicHost}:${config.gitPort}/${app}.git`;
  try {
    let natsUrl = config.natsUrl;
    if (!natsUrl) {
      const nats: EmbeddedNats = await startEmbeddedNats(config.dataDir, config.natsPort, log.child('nats'));
      stops.push(() => nats.stop());
      natsUrl = nats.url;
    }
    const nc: NatsConnection = await connectNats(natsUrl, `paas-${config.hostId}`, log.child('nats'));
    stops.push(async () => void (await nc.drain()));

    const controller = await startController({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      adminEmail: config.adminEmail,
      domain: config.domain,
      urls: { web: webUrl, git: gitUrl },
      port: config.apiPort,
      bindAddress: config.bindAddress,
      nc,
      drainsCaFile: config.drainsCaFile,
      log: log.child('controller'),
    });
    stops.push(() => controller.close());
    const client = new ControllerClient(controller.url, controller.systemToken);

    const engine = await openHostEngine(config, stops, log);
    const registry = await startRegistry({ dir: path.join(config.dataDir, 'registry'), port: config.registryPort, host: config.bindAddress, token: registryToken(config.dataDir) });
    stops.push(() => registry.close());
    // Images travel between hosts only when the node is given the registry's address as others reach it.
    const registryAuth = registryCredentials(config.registryToken ?? registryToken(config.dataDir));
    if (config.registryUrl) setPublishTarget(engine, { url: config.registryUrl, credentials: registryAuth });
    setPullCredentials(engine, registryAuth);
    // PAAS_HOST_JOBS=0: a control-plane node; its engine builds, but no agent offers it jobs.
    if (config.hostJobs) startHostAgent(config, engine, nc, stops, log);

    const scheduler = startScheduler({
      client,
      nc,
      log: log.child('scheduler'),
      stopGraceMs: config.stopGraceMs,
      defaultMemoryBytes: config.defaultMemoryBytes,
      registry: config.registryUrl ? new URL(config.registryUrl).host : undefined,
      deployBatchSize: config.deployBatchSize,
      deployTimeoutMs: config.deployTimeoutMs,
      instanceId: `scheduler-${config.hostId}`,
    });
    stops.push(() => scheduler.stop());

    const router = await startRouter({
      client,
      nc,
      log: log.child('router'),
      port: config.routerPort,
      httpsPort: config.routerHttpsPort,
      dataDir: config.dataDir,
      domain: config.domain,
      bindAddress: config.bindAddress,
      hostId: config.hostId,
      workers: { count: config.routerWorkers, controllerUrl: controller.url, controllerToken: controller.systemToken, natsUrl, logLevel: config.logLevel },
      balance: config.routerBalance,
      maxActivePerBackend: config.routerMaxActivePerDyno,
      metricsIntervalMs: config.metricsIntervalMs,
      timeouts: { responseMs: config.routerResponseTimeoutMs, idleMs: config.routerIdleTimeoutMs, headersMs: config.routerHeadersTimeoutMs },
    });
    stops.push(() => router.close());

    const builder = await startBuilder({
      engine,
      client,
      log: log.child('builder'),
      dataDir: config.dataDir,
      npmRegistry: config.npmRegistry,
      buildTimeoutMs: config.buildTimeoutMs,
      bootTimeoutMs: config.bootTimeoutMs,
      deployTimeoutMs: config.deployTimeoutMs,
      buildMemoryBytes: 2 * 1024 * 1024 * 1024,
      webUrl,
      port: config.gitPort,
      bindAddress: config.bindAddress,
      controllerUrl: controller.url,
    });
    stops.push(() => builder.close());

    return {
      config,
      controller,
      router,
      builder,
      engine,
      scheduler,
      natsUrl,
      registryUrl: `http://${config.publicHost}:${config.registryPort}`,
      gitUrl,
      webUrl,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The embedded registry's credential (basic-auth password), made once per data dir. */
function registryToken(dataDir: string): string {
  const file = path.join(dataDir, 'secrets', 'registry-token');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(24).toString('hex') + '\n', { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}
