/**
 * The typed client of the controller's API: the only way other components (and the CLI)
 * reach the controller. Errors come back as PaasError with the API's code, status and
 * message, so callers can show the message as is.
 */
import http from 'node:http';
import https from 'node:https';
import { PaasError, UnavailableError } from '../shared';
import type { DesiredApp, Route } from './api/scheduling';
export { DOCKERFILE_BUILDER } from './api/scheduling';

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
  created_at: string;
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
  host: string;
  state: string;
  ip: string | null;
  port: number | null;
  updated_at: string;
}
export interface JobReport {
  app: string;
  release: number;
  type: string;
  host: string;
  state: 'starting' | 'up' | 'crashed' | 'down';
  ip?: string | null;
  port?: number | null;
}
export type { DesiredApp, Route };

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
  desiredState() {
    return this.request<DesiredApp[]>('GET', '/scheduler/apps');
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
}

/** One HTTP exchange with node:http (fetch refuses some ports, e.g. 6000, that operators may use). */
function send(url: string, method: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; text: string }> {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}
