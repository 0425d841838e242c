/**
 * The configuration of a paas process, parsed once at start-up from the environment
 * and passed down. Every problem is reported at once, each with the fix.
 * Units are in the names (`..._MS`, `..._BYTES`).
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { mergeConfigFile, readConfigFile } from './config-file';
import { InvalidInputError } from './errors';
import { parseRoles, ROLES, type Role } from './roles';

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  PAAS_DATA_DIR: z.string().default('/var/lib/paas'),
  PAAS_API_PORT: port.default(5000),
  PAAS_GIT_PORT: port.default(5001),
  PAAS_ROUTER_PORT: port.default(8080),
  /** The router's HTTPS listener (SNI, HTTP/2); 443 for a production edge. */
  PAAS_ROUTER_HTTPS_PORT: port.default(8443),
  /** The embedded OCI registry (images move between hosts through it). */
  PAAS_REGISTRY_PORT: port.default(5002),
  PAAS_BIND_ADDRESS: z.string().default('0.0.0.0'),
  /** Apps answer at <app>.<PAAS_DOMAIN>; *.localhost resolves to loopback in curl and browsers. */
  PAAS_DOMAIN: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, 'must be a DNS name like paas.example.com')
    .default('paas.localhost'),
  /** The URL users reach the API at (printed by `paas up`, used for git remotes). */
  PAAS_PUBLIC_HOST: z.string().default('127.0.0.1'),
  /** External NATS; when empty paas starts its own nats-server on PAAS_NATS_PORT. */
  NATS_URL: z.string().optional(),
  PAAS_NATS_PORT: port.default(4250),
  /** mysql://user:pass@host:3306/db for production; empty means SQLite in the data dir. */
  DATABASE_URL: z
    .string()
    .regex(/^(mysql|mariadb|sqlite):/, 'must start with mysql://, mariadb:// or sqlite:')
    .optional(),
  PAAS_HOST_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be lowercase letters, digits and dashes')
    .optional(),
  /** The host bridge's own address and prefix; containers get the other addresses. */
  PAAS_BRIDGE_CIDR: z
    .string()
    .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'must be an address with a prefix, like 10.77.0.1/16')
    .default('10.77.0.1/16'),
  PAAS_BRIDGE_NAME: z.string().max(15).default('paas0'),
  PAAS_RUNTIME: z.enum(['auto', 'runc', 'crun']).default('auto'),
  PAAS_ADMIN_EMAIL: z.string().email().default('admin@paas.local'),
  PAAS_BUILD_TIMEOUT_MS: z.coerce.number().int().positive().default(25 * 60_000),
  PAAS_BOOT_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  PAAS_STOP_GRACE_MS: z.coerce.number().int().nonnegative().default(30_000),
  /** How often hosts sample their processes' memory and CPU and routers publish request counts. */
  PAAS_METRICS_INTERVAL_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
  /** How long an attached one-off (`paas run`) waits for its terminal before R13 ends it. */
  /** Replicas of paas's JetStream streams and KV buckets (3 on a 3-server NATS cluster). */
  PAAS_NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  PAAS_ATTACH_WAIT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  PAAS_DEFAULT_MEMORY_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),
  /** New processes a deploy starts ahead of the ones up: empty = the whole formation (preboot), 1 = one by one. */
  PAAS_DEPLOY_BATCH_SIZE: z.coerce.number().int().positive().optional(),
  PAAS_DEPLOY_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** The npm registry that builds fetch Node.js and packages from. */
  PAAS_NPM_REGISTRY: z.string().url().default('https://registry.npmjs.org'),
  /** The Debian mirror the build stack is bootstrapped from. */
  PAAS_DEBIAN_MIRROR: z.string().url().default('http://deb.debian.org/debian'),
  PAAS_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** 0: this node's engine builds but runs no jobs (its agent is not started); for a control-plane-only node. */
  PAAS_HOST_JOBS: z.enum(['0', '1']).default('1'),
  /** The registry images move through, as other hosts reach it (http://host:port); empty: this node's embedded one. */
  PAAS_REGISTRY_URL: z.string().url().optional(),
  /** The registry's token (basic-auth password); `paas up` writes its own to <data dir>/secrets/registry-token. */
  PAAS_REGISTRY_TOKEN: z.string().optional(),
  /** The registry's user name (the embedded registry takes any; an external one's account or robot). */
  PAAS_REGISTRY_USER: z.string().min(1).default('paas'),
  /** Registries (host or host:port, comma-separated) spoken to over plain HTTP besides loopback and PAAS_REGISTRY_URL's own scheme. */
  PAAS_INSECURE_REGISTRIES: z.string().optional(),
  /** The address other nodes (routers, hosts) reach this host at; empty: its bridge address. */
  PAAS_HOST_ADDRESS: z.string().optional(),
  /**
   * The nodes' network(s), comma-separated CIDRs or addresses (e.g. 10.0.0.0/24): they
   * reach containers (routers), containers do not reach them (control plane, database).
   * Every host's address and NATS's are nodes anyway (engine/isolation-rules.ts).
   */
  PAAS_NODE_CIDR: z
    .string()
    .regex(/^\s*\d+\.\d+\.\d+\.\d+(\/\d{1,2})?\s*(,\s*\d+\.\d+\.\d+\.\d+(\/\d{1,2})?\s*)*$/, 'must be CIDRs or addresses, comma-separated, like 10.0.0.0/24,10.0.1.5')
    .optional(),
  /** The control plane's pool of hosts' container subnets: each host that joins (`paas host:join`) gets a /24 of it. */
  PAAS_HOST_SUBNET_POOL: z
    .string()
    .regex(/^\d+\.\d+\.\d+\.\d+\/(1[6-9]|2[0-4])$/, 'must be a subnet of /16 to /24, like 10.200.0.0/16')
    .default('10.200.0.0/16'),
  /** Router (Heroku's limits): time to the first byte of a response (H12), idle time while streaming (H15), client header time (slowloris). */
  PAAS_ROUTER_RESPONSE_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  PAAS_ROUTER_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().default(55_000),
  PAAS_ROUTER_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** Router worker processes sharing its ports (router/workers.ts); 1: inside paas itself. */
  PAAS_ROUTER_WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  /** How the router picks an app's backend (router/README.md, Balancing). */
  PAAS_ROUTER_BALANCE: z.enum(['p2c', 'least-connections', 'round-robin']).default('p2c'),
  /** Requests a router sends one web process at a time; more wait in the app's backlog (50 per process), then H11. */
  PAAS_ROUTER_MAX_ACTIVE_PER_DYNO: z.coerce.number().int().min(1).max(10_000).default(50),
  /** A PEM file of CAs that log drains' TLS (syslog+tls://, https://) trusts besides the system's. */
  PAAS_DRAINS_CA_FILE: z.string().optional(),
  /** The components `paas node` runs here (shared/roles.ts): a comma list, or all. `paas up` always runs all. */
  PAAS_ROLES: z.string().transform((list, ctx) => {
    const parsed = parseRoles(list);
    if (parsed.roles) return parsed.roles;
    ctx.addIssue({ code: 'custom', message: parsed.error ?? 'bad role list' });
    return z.NEVER;
  }).optional(),
  /** How a node without the controller role reaches the API (its scheduler, router, builder). */
  PAAS_CONTROLLER_URL: z.string().url().optional(),
  /** The system token a node without the controller role calls the API with: <control node's data dir>/secrets/system-token. */
  PAAS_CONTROLLER_TOKEN: z.string().optional(),
  /** This node's KEY=VALUE file (shared/config-file.ts); default /etc/paas/paas.env when it exists. */
  PAAS_CONFIG_FILE: z.string().optional(),
});

/** Settings read outside this schema (builder/settings.ts), allowed in a configuration file too. */
const OTHER_SETTINGS = ['PAAS_GIT_MAX_REPO_BYTES', 'PAAS_GIT_PUSHES_PER_HOUR', 'PAAS_EXTRA_BUILDPACKS'];
/** Every setting a node reads (packaging/paas.env.example documents each). */
export const SETTING_NAMES: readonly string[] = [...Object.keys(schema.shape), ...OTHER_SETTINGS];
const KNOWN_SETTINGS = new Set(SETTING_NAMES);

export interface PaasConfig {
  dataDir: string;
  apiPort: number;
  gitPort: number;
  routerPort: number;
  routerHttpsPort: number;
  registryPort: number;
  bindAddress: string;
  domain: string;
  publicHost: string;
  natsUrl?: string;
  natsPort: number;
  databaseUrl?: string;
  hostId: string;
  bridgeCidr: string;
  bridgeName: string;
  runtime: 'auto' | 'runc' | 'crun';
  adminEmail: string;
  buildTimeoutMs: number;
  bootTimeoutMs: number;
  stopGraceMs: number;
  metricsIntervalMs: number;
  attachWaitMs: number;
  natsReplicas: number;
  defaultMemoryBytes: number;
  deployBatchSize?: number;
  deployTimeoutMs: number;
  npmRegistry: string;
  debianMirror: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  hostJobs: boolean;
  registryUrl?: string;
  registryToken?: string;
  /** PAAS_REGISTRY_USER: the user name sent with the token. */
  registryUser: string;
  /** PAAS_INSECURE_REGISTRIES, split (engine/registry-url.ts). */
  insecureRegistries: string[];
  hostAddress?: string;
  /** PAAS_NODE_CIDR, split: the nodes' networks (engine/isolation-rules.ts). */
  nodeCidrs: string[];
  /** PAAS_HOST_SUBNET_POOL: where joining hosts' /24s come from (controller/join/subnet-pool.ts). */
  hostSubnetPool: string;
  /** Router timeouts (router/timeouts.ts); absent: Heroku's 30 s / 55 s / 30 s. */
  routerResponseTimeoutMs?: number;
  routerIdleTimeoutMs?: number;
  routerHeadersTimeoutMs?: number;
  /** Default: one less than the CPUs (at least 1), leaving a core to paas and the apps (router/README.md). */
  routerWorkers: number;
  routerBalance: 'p2c' | 'least-connections' | 'round-robin';
  routerMaxActivePerDyno: number;
  drainsCaFile?: string;
  /** The components `paas node` starts (PAAS_ROLES; default all). */
  roles: Role[];
  /** The API as this node reaches it when it runs no controller itself. */
  controllerUrl?: string;
  controllerToken?: string;
  /** The configuration file the settings were read from, if any. */
  configFile?: string;
  /** The environment the settings came from (file under process environment), for settings read elsewhere (builder/settings.ts). */
  env?: Record<string, string>;
}

/** PAAS_HOST_ID's default: the machine's host name, made a valid id. */
export function defaultHostId(): string {
  return os.hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+/, '').slice(0, 31) || 'host';
}

/**
 * Parses the environment over the node's configuration file (config-file.ts); throws one
 * error that lists every bad setting and its fix, naming the file for those it holds.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, defaultFile?: string): PaasConfig {
  const file = readConfigFile(env, defaultFile);
  const cleaned = mergeConfigFile(env, file);
  const fromFile = (key: string): boolean => file !== undefined && key in file.values && (env[key] === undefined || env[key] === '');
  const where = (key: string): string => (fromFile(key) ? ` (in ${file?.path})` : '');
  const unknown = Object.keys(file?.values ?? {}).filter((k) => !KNOWN_SETTINGS.has(k));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success || unknown.length) {
    const lines = [
      ...(parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.')}${where(String(i.path[0]))}: ${i.message}`)),
      ...unknown.map((k) => `  ${k} (in ${file?.path}): not a paas setting; see packaging/paas.env.example for the names`),
    ];
    const source = file ? `the environment or ${file.path}` : 'these environment variables';
    throw new InvalidInputError(`paas cannot start, fix ${source}:\n${lines.join('\n')}`, 'bad_config');
  }
  const c = parsed.data;
  const hostname = defaultHostId();
  return {
    dataDir: path.resolve(c.PAAS_DATA_DIR),
    apiPort: c.PAAS_API_PORT,
    gitPort: c.PAAS_GIT_PORT,
    routerPort: c.PAAS_ROUTER_PORT,
    routerHttpsPort: c.PAAS_ROUTER_HTTPS_PORT,
    registryPort: c.PAAS_REGISTRY_PORT,
    bindAddress: c.PAAS_BIND_ADDRESS,
    domain: c.PAAS_DOMAIN,
    publicHost: c.PAAS_PUBLIC_HOST,
    natsUrl: c.NATS_URL,
    natsPort: c.PAAS_NATS_PORT,
    databaseUrl: c.DATABASE_URL,
    hostId: c.PAAS_HOST_ID ?? hostname,
    bridgeCidr: c.PAAS_BRIDGE_CIDR,
    bridgeName: c.PAAS_BRIDGE_NAME,
    runtime: c.PAAS_RUNTIME,
    adminEmail: c.PAAS_ADMIN_EMAIL,
    buildTimeoutMs: c.PAAS_BUILD_TIMEOUT_MS,
    bootTimeoutMs: c.PAAS_BOOT_TIMEOUT_MS,
    stopGraceMs: c.PAAS_STOP_GRACE_MS,
    metricsIntervalMs: c.PAAS_METRICS_INTERVAL_MS,
    attachWaitMs: c.PAAS_ATTACH_WAIT_MS,
    natsReplicas: c.PAAS_NATS_REPLICAS,
    defaultMemoryBytes: c.PAAS_DEFAULT_MEMORY_BYTES,
    deployBatchSize: c.PAAS_DEPLOY_BATCH_SIZE,
    deployTimeoutMs: c.PAAS_DEPLOY_TIMEOUT_MS,
    npmRegistry: c.PAAS_NPM_REGISTRY.replace(/\/+$/, ''),
    debianMirror: c.PAAS_DEBIAN_MIRROR,
    logLevel: c.PAAS_LOG_LEVEL,
    hostJobs: c.PAAS_HOST_JOBS === '1',
    registryUrl: c.PAAS_REGISTRY_URL?.replace(/\/+$/, ''),
    registryToken: c.PAAS_REGISTRY_TOKEN,
    registryUser: c.PAAS_REGISTRY_USER,
    insecureRegistries: (c.PAAS_INSECURE_REGISTRIES ?? '').split(',').map((v) => v.trim()).filter(Boolean),
    hostAddress: c.PAAS_HOST_ADDRESS,
    hostSubnetPool: c.PAAS_HOST_SUBNET_POOL,
    nodeCidrs: (c.PAAS_NODE_CIDR ?? '').split(',').map((v) => v.trim()).filter(Boolean),
    routerResponseTimeoutMs: c.PAAS_ROUTER_RESPONSE_TIMEOUT_MS,
    routerIdleTimeoutMs: c.PAAS_ROUTER_IDLE_TIMEOUT_MS,
    routerHeadersTimeoutMs: c.PAAS_ROUTER_HEADERS_TIMEOUT_MS,
    routerWorkers: c.PAAS_ROUTER_WORKERS ?? Math.max(1, os.availableParallelism() - 1),
    routerBalance: c.PAAS_ROUTER_BALANCE,
    routerMaxActivePerDyno: c.PAAS_ROUTER_MAX_ACTIVE_PER_DYNO,
    drainsCaFile: c.PAAS_DRAINS_CA_FILE ? path.resolve(c.PAAS_DRAINS_CA_FILE) : undefined,
    roles: c.PAAS_ROLES ?? [...ROLES],
    controllerUrl: c.PAAS_CONTROLLER_URL?.replace(/\/+$/, ''),
    controllerToken: c.PAAS_CONTROLLER_TOKEN,
    configFile: file?.path,
    env: cleaned,
  };
}
