/** The JSON shapes of the API (snake_case, like Heroku's Platform API). */
import type { App, Build, Deploy, Formation, Job, OneOffRequestRow, Release } from '../models';
import type { AppUrls } from './context';
import type { DynoSample } from '../../shared';

export const presentApp = (app: App, urls: AppUrls, owner?: string) => ({
  id: app.id,
  name: app.name,
  owner: owner ?? null,
  web_url: urls.web(app.name),
  git_url: urls.git(app.name),
  release_version: app.releaseVersion,
  created_at: app.createdAt,
});

export const presentBuild = (b: Build) => ({
  id: b.id,
  status: b.status,
  source_version: b.sourceVersion,
  image: b.image,
  process_types: b.processTypes ? (JSON.parse(b.processTypes) as Record<string, string>) : {},
  buildpacks: b.buildpacks ? (JSON.parse(b.buildpacks) as unknown[]) : [],
  created_at: b.createdAt,
  updated_at: b.updatedAt,
});

export const presentRelease = (r: Release, currentVersion: number) => ({
  id: r.id,
  version: r.version,
  description: r.description,
  build_id: r.buildId,
  current: r.version === currentVersion,
  status: r.status,
  status_reason: r.statusReason ?? null,
  created_at: r.createdAt,
});

export const presentDeploy = (d: Deploy, app: string) => ({
  id: d.id,
  app,
  release: d.release,
  from: d.fromVersion,
  status: d.status,
  reason: d.reason ?? null,
  created_at: d.createdAt,
  finished_at: d.finishedAt ?? null,
});

export const presentFormation = (f: Formation) => ({ type: f.type, quantity: f.quantity, size: f.size });

export interface DynoView {
  id: string;
  app: string;
  /** Heroku's dyno name: web.1, run.4821. */
  name: string;
  type: string;
  release: number;
  host: string | null;
  /** starting, up, crashed, down; `requested` for a one-off waiting for a host. */
  state: string;
  ip: string | null;
  port: number | null;
  size: string | null;
  one_off: boolean;
  reason: string | null;
  updated_at: Date;
  created_at: Date;
  /** Its latest cgroup sample (every 10 s); absent when none is recent or without NATS. */
  usage?: DynoUsage | null;
}

export interface DynoUsage {
  memory_mb: number;
  memory_limit_mb: number;
  /** Of one CPU: 200 is two CPUs busy. */
  cpu_percent: number;
  pids: number;
  at: string;
}

export const presentUsage = (s: DynoSample): DynoUsage => ({
  memory_mb: Math.round((s.memoryBytes / 1048576) * 10) / 10,
  memory_limit_mb: Math.round(s.memoryLimitBytes / 1048576),
  cpu_percent: s.cpuPercent,
  pids: s.pids,
  at: s.time,
});

export const presentJob = (j: Job, app: string, name: string, size: string | null): DynoView => ({
  id: j.id,
  app,
  name,
  type: j.type,
  release: j.release,
  host: j.hostId,
  state: j.state,
  ip: j.ip,
  port: j.port,
  size,
  one_off: j.oneOff ?? false,
  reason: j.reason ?? null,
  updated_at: j.updatedAt,
  created_at: j.createdAt,
});

export const presentOneOffRequest = (r: OneOffRequestRow, app: string, release = 0): DynoView => ({
  id: r.id,
  app,
  name: r.dyno,
  type: 'run',
  release,
  host: null,
  state: 'requested',
  ip: null,
  port: null,
  size: r.size,
  one_off: true,
  reason: null,
  updated_at: r.createdAt,
  created_at: r.createdAt,
});
