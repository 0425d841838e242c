/**
 * One paas node: exactly the roles its configuration names (PAAS_ROLES), each with
 * what it needs, started in the order they depend on each other and stopped in
 * reverse. `paas up` is a node with every role; `paas host` one with the host role;
 * `paas node` whatever the node's configuration file says (docs/operations.md).
 * Containers keep running when a node stops; the next start re-adopts them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { builderSettings, setPublishTarget, startBuilder, type RunningBuilder } from '../builder';
import { ControllerClient, startController, type RunningController } from '../controller';
import { parseCidr, setPullCredentials, startRegistry, type EngineApi } from '../engine';
import { startRouter, type RunningRouter } from '../router';
import { startScheduler, type RunningScheduler } from '../scheduler';
import { connectNats, errorMessage, InvalidInputError, useJetStreamReplicas, type Logger, type PaasConfig, type Role } from '../shared';
import { followHostRoutes } from './container-routes';
import { joinSettings } from './join-settings';
import { registryCredentials, registryPolicy, registryToken } from './registry-token';
import { openHostEngine, startHostAgent, type HostAgent, type StopSteps } from './host-engine';
import { startEmbeddedNats } from './nats-server';
import { roleProblems } from './node-requirements';
import { claimEngineDir, engineDirOf } from './engine-dir';

export interface RunningNode {
  roles: Role[];
  natsUrl: string;
  /** The API this node's components call: its own controller's, or PAAS_CONTROLLER_URL. */
  controllerUrl?: string;
  controller?: RunningController;
  /** Open when the node builds or runs jobs. */
  engine?: EngineApi;
  host?: HostAgent;
  registryPort?: number;
  scheduler?: RunningScheduler;
  router?: RunningRouter;
  builder?: RunningBuilder;
  webUrl(app: string): string;
  gitUrl(app: string): string;
  stop(): Promise<void>;
}

export interface NodeStartOptions {
  /** How long to wait for another process to let go of the engine data dir (an upgrade's handover); 0: refuse at once. */
  lockWaitMs?: number;
}

export async function startNode(config: PaasConfig, log: Logger, options: NodeStartOptions = {}): Promise<RunningNode> {
  const problems = roleProblems(config);
  if (problems.length) throw new InvalidInputError(`this node (roles ${config.roles.join(', ')}) cannot start:\n${problems.map((p) => `  ${p}`).join('\n')}`, 'bad_config');
  const has = (r: Role): boolean => config.roles.includes(r);
  useJetStreamReplicas(config.natsReplicas);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const stops: StopSteps = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn('stop step failed', { err: errorMessage(err) }));
  };
  const portSuffix = config.routerPort === 80 ? '' : `:${config.routerPort}`;
  const webUrl = (app: string): string => `http://${app}.${config.domain}${portSuffix}/`;
  const gitUrl = (app: string): string => `http://${config.publicHost}:${config.gitPort}/${app}.git`;
  const node: RunningNode = { roles: config.roles, natsUrl: config.natsUrl ?? '', webUrl, gitUrl, stop };
  try {
    if (has('host') || has('builder')) await claimEngineDir(engineDirOf(config), stops, options.lockWaitMs);
    if (!config.natsUrl) {
      const nats = await startEmbeddedNats(config.dataDir, config.natsPort, log.child('nats'));
      stops.push(() => nats.stop());
      node.natsUrl = nats.url;
    }
    const nc = await connectNats(node.natsUrl, `paas-${config.hostId}`, log.child('nats'));
    stops.push(async () => void (await nc.drain()));

    // The API the scheduler, router and builder call, as a client and as the settings router workers get.
    let api: { client: ControllerClient; url: string; token: string } | undefined;
    if (has('controller')) {
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
        join: joinSettings(config, has('registry')),
        log: log.child('controller'),
      });
      stops.push(() => controller.close());
      node.controller = controller;
      api = { client: new ControllerClient(controller.url, controller.systemToken), url: controller.url, token: controller.systemToken };
    } else if (config.controllerUrl && config.controllerToken) {
      api = { client: new ControllerClient(config.controllerUrl, config.controllerToken), url: config.controllerUrl, token: config.controllerToken };
    }
    node.controllerUrl = api?.url;

    const credentials = registryCredentials(config.registryToken ?? (has('registry') ? registryToken(config.dataDir) : undefined), config.registryUser);
    if (has('host') || has('builder')) {
      node.engine = await openHostEngine(config, stops, log);
      // Images travel between hosts only when the node is given the registry's address as others reach it.
      if (has('builder') && config.registryUrl) setPublishTarget(node.engine, { url: config.registryUrl, credentials });
      setPullCredentials(node.engine, credentials, registryPolicy(config));
    }
    if (has('registry')) {
      const registry = await startRegistry({ dir: path.join(config.dataDir, 'registry'), port: config.registryPort, host: config.bindAddress, token: config.registryToken ?? registryToken(config.dataDir) });
      stops.push(() => registry.close());
      node.registryPort = config.registryPort;
    }
    if (has('host') && node.engine) node.host = startHostAgent(config, node.engine, nc, stops, log);
    // Other hosts' containers are reached by their own IPs: hosts running jobs and routers keep routes to them.
    if ((has('host') && config.hostJobs) || has('router')) {
      const ownSubnets = node.engine ? [parseCidr(config.bridgeCidr).subnet] : [];
      const routes = followHostRoutes(nc, { selfId: config.hostId, ownSubnets, log: log.child('routes') });
      stops.push(async () => routes.stop());
    }

    if (has('scheduler') && api) {
      const scheduler = startScheduler({
        client: api.client,
        nc,
        log: log.child('scheduler'),
        stopGraceMs: config.stopGraceMs,
        defaultMemoryBytes: config.defaultMemoryBytes,
        registry: config.registryUrl,
        deployBatchSize: config.deployBatchSize,
        deployTimeoutMs: config.deployTimeoutMs,
        instanceId: `scheduler-${config.hostId}`,
      });
      stops.push(() => scheduler.stop());
      node.scheduler = scheduler;
    }
    if (has('router') && api) {
      const router = await startRouter({
        client: api.client,
        nc,
        log: log.child('router'),
        port: config.routerPort,
        httpsPort: config.routerHttpsPort,
        dataDir: config.dataDir,
        domain: config.domain,
        bindAddress: config.bindAddress,
        hostId: config.hostId,
        workers: { count: config.routerWorkers, controllerUrl: api.url, controllerToken: api.token, natsUrl: node.natsUrl, logLevel: config.logLevel },
        balance: config.routerBalance,
        maxActivePerBackend: config.routerMaxActivePerDyno,
        metricsIntervalMs: config.metricsIntervalMs,
        timeouts: { responseMs: config.routerResponseTimeoutMs, idleMs: config.routerIdleTimeoutMs, headersMs: config.routerHeadersTimeoutMs },
      });
      stops.push(() => router.close());
      node.router = router;
    }
    if (has('builder') && node.engine && api) {
      const builder = await startBuilder({
        engine: node.engine,
        client: api.client,
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
        controllerUrl: api.url,
        ...(config.env ? { settings: builderSettings(config.env) } : {}),
      });
      stops.push(() => builder.close());
      node.builder = builder;
    }
    return node;
  } catch (err) {
    await stop();
    throw err;
  }
}
