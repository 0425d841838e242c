/** The JSON shapes of the API (snake_case, like Heroku's Platform API). */
import type { App, Build, Formation, Job, Release } from '../models';
import type { AppUrls } from './context';

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
  created_at: r.createdAt,
});

export const presentFormation = (f: Formation) => ({ type: f.type, quantity: f.quantity, size: f.size });

/** `name` is Heroku's dyno name (web.1), numbered per type in order of creation. */
export const presentJob = (j: Job, app: string, name: string) => ({
  id: j.id,
  app,
  name,
  type: j.type,
  release: j.release,
  host: j.hostId,
  state: j.state,
  ip: j.ip,
  port: j.port,
  updated_at: j.updatedAt,
});
