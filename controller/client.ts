/**
 * The typed client of the controller's API: the only way other components (and the CLI)
 * reach the controller. Errors come back as PaasError with the API's code, status and
 * message, so callers can show the message as is.
 */
import http from 'node:http';
import https from 'node:https';
import { PaasError, UnavailableError } from '../shared/errors';
import type { RouterTls, SniEndpoint } from './api/certs';
import type { DynoUsage } from './api/presenters';
import type { AppMetrics } from './metrics/aggregate';
import type { LogDrainView } from './api/drains';
import type { JoinTokenView } from './join/join-tokens';
export type { LogDrainView } from './api/drains';
import type { DeployStatus, DesiredApp, HealthCheck, OneOffRequest, ReleaseStatus, Route, SchedulerHost } from './api/scheduling';

/**
 * The builder's name, in a build's buildpacks list, for an image built from a Dockerfile:
 * such a release runs the image's own entrypoint, not the buildpack launcher. Defined
 * here, not in api/, so that the CLI's import of this client loads no server code.
 */
export const DOCKERFILE_BUILDER = 'dockerfile';

export interface AppInfo {
  id: number;
  name: string;
  owner: string | null;
  web_url: string;
  git_url: string;
  release_version: number;
  created_at: string;
}
export interface BuildInfo {
  id: string;
  status: 'pending' | 'succeeded' | 'failed';
  source_version: string;
  image: string | null;
  image_digest?: string | null;
  image_size?: number | null;
  duration_ms?: number | null;
  process_types: Record<string, string>;
  buildpacks?: { name: string; detected: string }[];
  created_at?: string;
  finished_at?: string | null;
}
export interface BuildResultReport {
  status: 'succeeded' | 'failed';
  image?: string;
  image_digest?: string;
  image_size?: number;
  duration_ms?: number;
  output?: string;
  process_types?: Record<string, string>;
  buildpacks?: { name: string; detected: string }[];
  /** app.json's startup health checks per process type (builder/app-json.ts). */
  healthchecks?: Record<string, HealthCheck>;
}
export interface BuildpackInstallation {
  ordinal: number;
  buildpack: { url: string; name: string };
}
export interface ReleaseInfo {
  id: number;
  version: number;
  description: string;
  build_id: string | null;
  current: boolean;
  /** Deploy outcome: pending while the scheduler rolls it out. */
  status: ReleaseStatus;
  status_reason: string | null;
  created_at: string;
}
export interface DeployInfo {
  id: string;
  app: string;
  release: number;
  from: number | null;
  status: DeployStatus;
  reason: string | null;
  created_at: string;
  finished_at: string | null;
}
export interface FormationInfo {
  type: string;
  quantity: number;
  size: string;
}
export interface DynoInfo {
  id: string;
  name: string;
  type: string;
  release: number;
  /** null while a one-off waits for a host. */
  host: string | null;
  /** starting, up, crashed, down; `requested` for a one-off waiting for a host. */
  state: string;
  ip: string | null;
  port: number | null;
  size: string | null;
  one_off: boolean;
  reason: string | null;
  /** When the dyno entered its current state (Heroku's "since"). */
  updated_at: string;
  created_at: string;
  /** Memory and CPU from its latest cgroup sample; null when none is recent. */
  usage?: DynoUsage | null;
}
export interface JobReport {
  app: string;
  release: number;
  type: string;
  host: string;
  state: 'starting' | 'up' | 'crashed' | 'down';
  ip?: string | null;
  port?: number | null;
  /** web.1, run.4821: the name the scheduler gave the process (shown by `paas ps`). */
  dyno?: string | null;
  oneOff?: boolean;
  /** Why it is crashed or down, in words the user can act on. */
  reason?: string | null;
  memoryBytes?: number | null;
}
/** A job as the controller last recorded it (GET /scheduler/jobs). */
export interface RecordedJob {
  id: string;
  app?: string;
  release: number;
  type: string;
  host: string;
  state: JobReport['state'];
  ip: string | null;
  port: number | null;
  dyno: string | null;
  one_off: boolean;
  reason: string | null;
  memory_bytes: number | null;
}
export interface OneOffCreated extends DynoInfo {
  app: string;
  command: string;
  attach: boolean;
  /** Attached runs: the WebSocket that is the process's terminal (see controller/attach). */
  attach_url?: string;
}
export interface HostInfo {
  id: string;
  address: string | null;
  subnet: string | null;
  runtime: string | null;
  memory_bytes: number | null;
  cpus: number | null;
  jobs: number;
  last_seen: string | null;
  alive: boolean;
  /** Its agent is restarting (an upgrade): its containers run on and nothing is moved for up to a minute. */
  restarting: boolean;
  draining: boolean;
}
export type { JoinTokenView };
/** A new join token: its secret (shown once) and the command to run on the new machine. */
export interface JoinTokenCreated extends JoinTokenView {
  token: string;
  nats_url: string | null;
  command: string;
}
export type { DeployStatus, DesiredApp, HealthCheck, OneOffRequest, ReleaseStatus, Route, SchedulerHost };
export type { RouterCert, RouterTls, SniEndpoint } from './api/certs';

export class ControllerClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let res: { status: number; text: string };
    try {
      res = await send(this.baseUrl + path, method, {
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      }, payload);
    } catch (err) {
      throw new UnavailableError(`Cannot reach the paas API at ${this.baseUrl}: ${(err as Error).message}. Is paas running?`, err);
    }
    if (res.status === 204) return undefined as T;
    const data: unknown = res.text ? JSON.parse(res.text) : undefined;
    if (res.status >= 400) {
      const e = (data ?? {}) as { id?: string; message?: string };
      throw new PaasError(e.id ?? 'http_error', e.message ?? `HTTP ${res.status}`, { status: res.status, expose: true, retryable: res.status >= 500 });
    }
    return data as T;
  }

  login(email: string, password: string) {
    return this.request<{ email: string; token: string }>('POST', '/login', { email, password });
  }
  account() {
    return this.request<{ id: number; email: string; admin: boolean }>('GET', '/account');
  }
  apps() {
    return this.request<AppInfo[]>('GET', '/apps');
  }
  app(name: string) {
    return this.request<AppInfo>('GET', `/apps/${encodeURIComponent(name)}`);
  }
  createApp(name: string) {
    return this.request<AppInfo>('POST', '/apps', { name });
  }
  renameApp(name: string, newName: string) {
    return this.request<AppInfo>('PATCH', `/apps/${encodeURIComponent(name)}`, { name: newName });
  }
  destroyApp(name: string) {
    return this.request<AppInfo>('DELETE', `/apps/${encodeURIComponent(name)}`);
  }
  config(app: string) {
    return this.request<Record<string, string>>('GET', `/apps/${encodeURIComponent(app)}/config-vars`);
  }
  setConfig(app: string, changes: Record<string, string | null>) {
    return this.request<Record<string, string>>('PATCH', `/apps/${encodeURIComponent(app)}/config-vars`, changes);
  }
  createBuild(app: string, sourceVersion: string, user?: string) {
    return this.request<BuildInfo>('POST', `/apps/${encodeURIComponent(app)}/builds`, { source_version: sourceVersion, user });
  }
  finishBuild(app: string, id: string, result: BuildResultReport) {
    return this.request<BuildInfo>('PATCH', `/apps/${encodeURIComponent(app)}/builds/${id}`, result);
  }
  builds(app: string) {
    return this.request<BuildInfo[]>('GET', `/apps/${encodeURIComponent(app)}/builds`);
  }
  build(app: string, id: string) {
    return this.request<BuildInfo>('GET', `/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(id)}`);
  }
  /** The build's full log as text. */
  async buildOutput(app: string, id: string): Promise<string> {
    const res = await send(`${this.baseUrl}/apps/${encodeURIComponent(app)}/builds/${encodeURIComponent(id)}/output`, 'GET', this.token ? { authorization: `Bearer ${this.token}` } : {}).catch((err: Error) => {
      throw new UnavailableError(`Cannot reach the paas API at ${this.baseUrl}: ${err.message}. Is paas running?`, err);
    });
    if (res.status >= 400) {
      const e = JSON.parse(res.text || '{}') as { id?: string; message?: string };
      throw new PaasError(e.id ?? 'http_error', e.message ?? `HTTP ${res.status}`, { status: res.status, expose: true });
    }
    return res.text;
  }
  /**
   * The app's log lines (`paas logs`): the recent ones, and with `tail` every new one as
   * it is stored, until `signal` aborts. Text arrives in `onText` as it comes.
   */
  logs(app: string, o: { lines?: number; dyno?: string; source?: 'app' | 'paas'; tail?: boolean }, onText: (text: string) => void, signal?: AbortSignal): Promise<void> {
    const q = new URLSearchParams();
    if (o.lines !== undefined) q.set('lines', String(o.lines));
    if (o.dyno) q.set('dyno', o.dyno);
    if (o.source) q.set('source', o.source);
    if (o.tail) q.set('tail', 'true');
    const url = `${this.baseUrl}/apps/${encodeURIComponent(app)}/logs?${q}`;
    const lib = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.get(url, { headers: this.token ? { authorization: `Bearer ${this.token}` } : {}, signal }, (res) => {
        res.setEncoding('utf8');
        if ((res.statusCode ?? 0) >= 400) {
          let text = '';
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            const e = (() => { try { return JSON.parse(text) as { id?: string; message?: string }; } catch { return {}; } })();
            reject(new PaasError(e.id ?? 'http_error', e.message ?? `HTTP ${res.statusCode}`, { status: res.statusCode, expose: true }));
          });
          return;
        }
        res.on('data', (d: string) => onText(d));
        res.on('end', () => resolve());
        res.on('error', (err) => (signal?.aborted ? resolve() : reject(err)));
      });
      req.on('error', (err) => {
        if (signal?.aborted) resolve();
        else reject(new UnavailableError(`Cannot reach the paas API at ${this.baseUrl}: ${err.message}. Is paas running?`, err));
      });
    });
  }
  /** Marks every pending build failed with `message` in its log (a builder's start). */
  interruptBuilds(message: string, outputs?: Record<string, string>) {
    return this.request<BuildInfo[]>('POST', '/builds/interrupted', { message, outputs });
  }
  buildpacks(app: string) {
    return this.request<BuildpackInstallation[]>('GET', `/apps/${encodeURIComponent(app)}/buildpack-installations`);
  }
  setBuildpacks(app: string, buildpacks: string[]) {
    return this.request<BuildpackInstallation[]>('PUT', `/apps/${encodeURIComponent(app)}/buildpack-installations`, { updates: buildpacks.map((buildpack) => ({ buildpack })) });
  }
  createRelease(app: string, buildId: string) {
    return this.request<ReleaseInfo>('POST', `/apps/${encodeURIComponent(app)}/releases`, { build_id: buildId });
  }
  releases(app: string) {
    return this.request<ReleaseInfo[]>('GET', `/apps/${encodeURIComponent(app)}/releases`);
  }
  release(app: string, version: number) {
    return this.request<ReleaseInfo>('GET', `/apps/${encodeURIComponent(app)}/releases/${version}`);
  }
  releaseConfig(app: string, version: number) {
    return this.request<Record<string, string>>('GET', `/apps/${encodeURIComponent(app)}/releases/${version}/config-vars`);
  }
  rollback(app: string, version: number) {
    return this.request<ReleaseInfo>('POST', `/apps/${encodeURIComponent(app)}/releases`, { release: version });
  }
  formation(app: string) {
    return this.request<FormationInfo[]>('GET', `/apps/${encodeURIComponent(app)}/formation`);
  }
  scale(app: string, updates: { type: string; quantity?: number; size?: string }[]) {
    return this.request<FormationInfo[]>('PATCH', `/apps/${encodeURIComponent(app)}/formation`, { updates });
  }
  dynos(app: string) {
    return this.request<DynoInfo[]>('GET', `/apps/${encodeURIComponent(app)}/dynos`);
  }
  /** The last `minutes` (at most 60) at one-minute resolution. */
  metrics(app: string, minutes = 60) {
    return this.request<AppMetrics>('GET', `/apps/${encodeURIComponent(app)}/metrics?minutes=${minutes}`);
  }
  /** Restarts every dyno of the app, every dyno of one type (`web`), or one dyno (`web.2`). */
  restartDynos(app: string, dynoOrType?: string) {
    return this.request<void>('DELETE', `/apps/${encodeURIComponent(app)}/dynos${dynoOrType ? `/${encodeURIComponent(dynoOrType)}` : ''}`);
  }
  stopDyno(app: string, dyno: string) {
    return this.request<void>('POST', `/apps/${encodeURIComponent(app)}/dynos/${encodeURIComponent(dyno)}/actions/stop`);
  }
  /** A detached one-off process (`paas run --detach`). */
  runDetached(app: string, command: string, options: { size?: string; env?: Record<string, string> } = {}) {
    return this.request<OneOffCreated>('POST', `/apps/${encodeURIComponent(app)}/dynos`, { command, ...options });
  }
  /** A one-off that waits for a terminal: open `attachUrl(created)` to be it (cli/attach-terminal.ts). */
  runAttached(app: string, command: string, options: { size?: string; env?: Record<string, string> } = {}) {
    return this.request<OneOffCreated>('POST', `/apps/${encodeURIComponent(app)}/dynos`, { command, attach: true, ...options });
  }
  /** The attach WebSocket's address at this client's API (the answer's own host may be an internal name). */
  attachUrl(created: OneOffCreated, tty: { rows: number; cols: number } | null): { url: string; headers: Record<string, string> } {
    const url = new URL(new URL(created.attach_url ?? '', this.baseUrl).pathname, this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (tty) {
      url.searchParams.set('rows', String(tty.rows));
      url.searchParams.set('cols', String(tty.cols));
    }
    return { url: url.toString(), headers: this.token ? { Authorization: `Bearer ${this.token}` } : {} };
  }
  deploys(app: string) {
    return this.request<DeployInfo[]>('GET', `/apps/${encodeURIComponent(app)}/deploys`);
  }
  hosts() {
    return this.request<HostInfo[]>('GET', '/hosts');
  }
  host(id: string) {
    return this.request<HostInfo>('GET', `/hosts/${encodeURIComponent(id)}`);
  }
  drainHost(id: string) {
    return this.request<HostInfo>('POST', `/hosts/${encodeURIComponent(id)}/actions/drain`);
  }
  undrainHost(id: string) {
    return this.request<HostInfo>('POST', `/hosts/${encodeURIComponent(id)}/actions/undrain`);
  }
  removeHost(id: string) {
    return this.request<void>('DELETE', `/hosts/${encodeURIComponent(id)}`);
  }
  createJoinToken(expiresInSeconds?: number) {
    return this.request<JoinTokenCreated>('POST', '/join-tokens', expiresInSeconds ? { expires_in_seconds: expiresInSeconds } : {});
  }
  joinTokens() {
    return this.request<JoinTokenView[]>('GET', '/join-tokens');
  }
  revokeJoinToken(id: string) {
    return this.request<JoinTokenView>('DELETE', `/join-tokens/${encodeURIComponent(id)}`);
  }
  desiredState() {
    return this.request<DesiredApp[]>('GET', '/scheduler/apps');
  }
  /** Operators' decisions about hosts (draining, removed), for placement. */
  schedulerHosts() {
    return this.request<SchedulerHost[]>('GET', '/scheduler/hosts');
  }
  /** Records the start of a deploy of `release` from `from`; a pending deploy of the app is superseded. */
  startDeploy(app: string, deploy: { release: number; from: number | null }) {
    return this.request<{ id: string }>('POST', '/scheduler/deploys', { app, ...deploy });
  }
  /** failed: the release is marked failed and the app's current release goes back to `from`. */
  finishDeploy(id: string, outcome: { status: 'succeeded' | 'failed'; reason?: string }) {
    return this.request<DeployInfo>('PATCH', `/scheduler/deploys/${encodeURIComponent(id)}`, outcome);
  }
  /** Every job as the controller last recorded it: the scheduler compares it with what hosts run. */
  recordedJobs() {
    return this.request<RecordedJob[]>('GET', '/scheduler/jobs');
  }
  reportJob(id: string, report: JobReport) {
    return this.request<void>('PUT', `/jobs/${encodeURIComponent(id)}`, report);
  }
  forgetJob(id: string) {
    return this.request<void>('DELETE', `/jobs/${encodeURIComponent(id)}`);
  }
  routes() {
    return this.request<Route[]>('GET', '/routes');
  }
  route(app: string) {
    return this.request<Route>('GET', `/routes/${encodeURIComponent(app)}`);
  }
  certs(app: string) {
    return this.request<SniEndpoint[]>('GET', `/apps/${encodeURIComponent(app)}/sni-endpoints`);
  }
  cert(app: string, idOrName: string) {
    return this.request<SniEndpoint>('GET', `/apps/${encodeURIComponent(app)}/sni-endpoints/${encodeURIComponent(idOrName)}`);
  }
  /** PEM chain (leaf first) and unencrypted PEM key; `domains` limits it to some of the app's domains. */
  addCert(app: string, cert: { certificate_chain: string; private_key: string; domains?: string[] }) {
    return this.request<SniEndpoint>('POST', `/apps/${encodeURIComponent(app)}/sni-endpoints`, cert);
  }
  removeCert(app: string, idOrName: string) {
    return this.request<SniEndpoint>('DELETE', `/apps/${encodeURIComponent(app)}/sni-endpoints/${encodeURIComponent(idOrName)}`);
  }
  httpsSettings(app: string) {
    return this.request<{ force_https: boolean }>('GET', `/apps/${encodeURIComponent(app)}/https`);
  }
  setForceHttps(app: string, forceHttps: boolean) {
    return this.request<{ force_https: boolean }>('PATCH', `/apps/${encodeURIComponent(app)}/https`, { force_https: forceHttps });
  }
  logDrains(app: string) {
    return this.request<LogDrainView[]>('GET', `/apps/${encodeURIComponent(app)}/log-drains`);
  }
  /** syslog+tls://host:port, syslog://host:port or https://host/path. */
  addLogDrain(app: string, url: string) {
    return this.request<LogDrainView>('POST', `/apps/${encodeURIComponent(app)}/log-drains`, { url });
  }
  /** By id, token (d.…) or URL. */
  removeLogDrain(app: string, idTokenOrUrl: string) {
    return this.request<LogDrainView>('DELETE', `/apps/${encodeURIComponent(app)}/log-drains/${encodeURIComponent(idTokenOrUrl)}`);
  }
  /** Operators (routers): every certificate with its decrypted key. */
  routerTls() {
    return this.request<RouterTls>('GET', '/router/tls');
  }
}

/** One HTTP exchange with node:http (fetch refuses some ports, e.g. 6000, that operators may use). */
function send(url: string, method: string, headers: Record<string, string>, body?: Buffer, retried = false): Promise<{ status: number; text: string }> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed while idle fails before the request reaches it
      // (Node's documented race): the request was never seen, so sending it again is safe.
      if (!retried && req.reusedSocket && err.code === 'ECONNRESET') resolve(send(url, method, headers, body, true));
      else reject(err);
    });
    req.end(body);
  });
}
