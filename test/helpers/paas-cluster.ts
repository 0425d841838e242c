/**
 * A production-shaped paas cluster on one machine (issue #10), for the cluster test and
 * its benchmark:
 *
 * - NATS: three nats-servers on the LAN address (netns-hosts.ts, natsServers: 3), every
 *   node given all three URLs and PAAS_NATS_REPLICAS=3;
 * - the database: a private MariaDB (mariadb-server.ts) the test may stop and start;
 * - the control plane: one `paas node` with the controller, scheduler, builder and
 *   registry roles in the root namespace (no host role: it runs no jobs);
 * - two router-only `paas node`s, each on its own port, calling the API with the
 *   control node's system token;
 * - three engine hosts, each `paas host` in its own network namespace.
 *
 * The user is a real CLI user logged in to the API; the test pushes with real git.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { ControllerClient, type DynoInfo } from '../../controller/client';
import { connectNats, silentLogger, type JobInfo } from '../../shared';
import { runningJobs } from './host-jobs';
import { startMariadbServer, type MariadbServer } from './mariadb-server';
import { DEFAULT_LAYOUT, startNetnsCluster, type NetnsCluster, type NetnsLayout } from './netns-hosts';
import { eventually, loginAsAdmin, newUser, type Cli } from './paas';
import { startNodeProcess, type NodeProcess } from './paas-node';
import { freePort } from './ports';

export const CLUSTER_DOMAIN = 'paas.localhost';

export interface ClusterRouter {
  node: NodeProcess;
  port: number;
}

export interface PaasCluster {
  netns: NetnsCluster;
  db: MariadbServer;
  control: NodeProcess;
  routers: ClusterRouter[];
  /** The API as the logged-in user calls it. */
  api: ControllerClient;
  user: Cli;
  /** The test's own NATS connection (to ask hosts what runs, to read router log lines). */
  nc: NatsConnection;
  /** Every process, bridge, namespace, mount and directory the cluster made. */
  teardown(): Promise<void>;
}

export interface PaasClusterOptions {
  layout: Partial<NetnsLayout> & Pick<NetnsLayout, 'baseDir'>;
  /** Settings for the control node (the scheduler's: deploy batch, default memory…). */
  controlEnv?: Record<string, string>;
  hostEnv?: Record<string, string>;
}

export async function startPaasCluster(options: PaasClusterOptions): Promise<PaasCluster> {
  const layout = { ...DEFAULT_LAYOUT, ...options.layout };
  let netns: NetnsCluster | undefined;
  let db: MariadbServer | undefined;
  let control: NodeProcess | undefined;
  const routers: ClusterRouter[] = [];
  let nc: NatsConnection | undefined;
  let user: Cli | undefined;
  const controlDir = path.join(layout.baseDir, 'control');

  const teardown = async (): Promise<void> => {
    await nc?.close().catch(() => undefined);
    for (const r of routers) await r.node.stop();
    // The control node's data dir is under the base dir: the netns teardown unmounts and removes it.
    await control?.stop();
    await netns?.teardown();
    await db?.destroy();
    if (user) fs.rmSync(user.home, { recursive: true, force: true });
  };

  try {
    netns = await startNetnsCluster({ hosts: 3, layout, natsServers: 3 });
    db = await startMariadbServer();
    const common = { NATS_URL: netns.natsUrl, PAAS_NATS_REPLICAS: '3', PAAS_DOMAIN: CLUSTER_DOMAIN, PAAS_LOG_LEVEL: 'info' };
    const apiPort = await freePort();
    const registryPort = await freePort();
    control = await startNodeProcess({
      ...common,
      PAAS_ROLES: 'controller,scheduler,builder,registry',
      PAAS_HOST_ID: 'control-1',
      PAAS_DATA_DIR: controlDir,
      DATABASE_URL: db.url,
      PAAS_API_PORT: String(apiPort),
      PAAS_GIT_PORT: String(await freePort()),
      PAAS_REGISTRY_PORT: String(registryPort),
      // Hosts pull from the registry across the LAN; the API and git stay reachable on 127.0.0.1 too.
      PAAS_BIND_ADDRESS: '0.0.0.0',
      PAAS_REGISTRY_URL: `http://${netns.lanGateway}:${registryPort}`,
      PAAS_BRIDGE_NAME: netns.controlBridge,
      PAAS_BRIDGE_CIDR: netns.controlBridgeCidr,
      PAAS_STOP_GRACE_MS: '3000',
      ...options.controlEnv,
    }, 180_000);
    const password = /Admin login \(shown once\): \S+ \/ (\S+)/.exec(control.output())?.[1];
    if (!password) throw new Error(`the control node printed no admin login:\n${control.output()}`);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const systemToken = fs.readFileSync(path.join(controlDir, 'secrets', 'system-token'), 'utf8').trim();
    const registryToken = fs.readFileSync(path.join(controlDir, 'secrets', 'registry-token'), 'utf8').trim();

    for (const n of [1, 2]) {
      const port = await freePort();
      const node = await startNodeProcess({
        ...common,
        PAAS_ROLES: 'router',
        PAAS_HOST_ID: `router-${n}`,
        PAAS_DATA_DIR: path.join(layout.baseDir, `router${n}`),
        PAAS_ROUTER_PORT: String(port),
        PAAS_ROUTER_HTTPS_PORT: String(await freePort()),
        PAAS_ROUTER_WORKERS: '1',
        PAAS_BIND_ADDRESS: '127.0.0.1',
        PAAS_CONTROLLER_URL: apiUrl,
        PAAS_CONTROLLER_TOKEN: systemToken,
      });
      routers.push({ node, port });
    }

    const hostEnv = { PAAS_REGISTRY_TOKEN: registryToken, PAAS_NATS_REPLICAS: '3', PAAS_STOP_GRACE_MS: '3000', ...options.hostEnv };
    const cluster = netns;
    await Promise.all(cluster.hosts.map((h) => cluster.startHost(h.index, hostEnv)));

    nc = await connectNats(netns.natsUrl, 'paas-cluster-test', silentLogger);
    user = newUser();
    const api = loginAsAdmin(user, { api: apiUrl, adminPassword: password });
    return { netns, db, control, routers, api, user, nc, teardown };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/**
 * Waits for an app's web formation to be whole: the controller has `count` web dynos up
 * of the current release, and the hosts (all, or those given) run exactly `count` web
 * jobs, all of it and up, each dyno name once (no duplicate, no process of an older release).
 */
export async function formationWhole(
  c: PaasCluster,
  app: string,
  count: number,
  options: { what: string; hostIds?: string[]; timeoutMs?: number },
): Promise<{ release: number; dynos: DynoInfo[]; jobs: JobInfo[] }> {
  const hostIds = options.hostIds ?? c.netns.hosts.map((h) => h.id);
  return eventually(`the formation of ${app} whole ${options.what}: ${count} web up of the current release`, async () => {
    const release = (await c.api.releases(app)).find((r) => r.current)?.version;
    const dynos = (await c.api.dynos(app)).filter((d) => d.type === 'web');
    const jobs = (await runningJobs(c.nc, hostIds, app)).filter((j) => j.processType === 'web');
    const whole =
      dynos.length === count && dynos.every((d) => d.state === 'up' && d.release === release) &&
      jobs.length === count && jobs.every((j) => j.state === 'up' && j.release === release) && new Set(jobs.map((j) => j.dyno)).size === count;
    return whole && release !== undefined ? { release, dynos, jobs } : undefined;
  }, options.timeoutMs ?? 60_000);
}
