/**
 * Starts the builder: one HTTP server for app repositories (smart HTTP git) and the
 * hook's internal build endpoint.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../shared';
import { createBuildEndpoint } from './build-endpoint';
import type { BuildEnvironment } from './build';
import { createGitGate } from './git-server';
import { recoverInterruptedBuilds } from './recovery';
import { builderSettings, type BuilderSettings } from './settings';

export interface BuilderOptions extends BuildEnvironment {
  port: number;
  bindAddress: string;
  /** The controller URL that git requests are authorised against (with the user's token). */
  controllerUrl: string;
  log: Logger;
  /** Limits and extra buildpacks; default: from the environment (settings.ts). */
  settings?: BuilderSettings;
}

export interface RunningBuilder {
  port: number;
  close(): Promise<void>;
}

export async function startBuilder(o: BuilderOptions): Promise<RunningBuilder> {
  const reposDir = path.join(o.dataDir, 'git');
  const secretsDir = path.join(o.dataDir, 'secrets');
  fs.mkdirSync(reposDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const tokenFile = path.join(secretsDir, 'builder-hook-token');
  if (!fs.existsSync(tokenFile)) fs.writeFileSync(tokenFile, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
  const secret = fs.readFileSync(tokenFile, 'utf8').trim();
  const settings = o.settings ?? builderSettings();
  // Before any push: what a killed builder left (T11).
  await recoverInterruptedBuilds({ client: o.client, engine: o.engine, buildsDir: path.join(o.dataDir, 'builder', 'builds'), logsDir: path.join(o.dataDir, 'builder', 'logs'), log: o.log });

  const pushers = new Map<string, string>();
  const server = http.createServer();
  const builds = createBuildEndpoint({ env: { ...o, extraBuildpacks: settings.extraBuildpacks }, secret, log: o.log, pusherOf: (app) => pushers.get(app) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bindAddress, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const git = createGitGate({
    reposDir,
    controllerUrl: o.controllerUrl,
    log: o.log,
    onPusher: (app, email) => pushers.set(app, email),
    onPushGone: (app, pid) => builds.cancel(app, pid),
    maxRepoBytes: settings.maxRepoBytes,
    pushesPerHour: settings.pushesPerHour,
    hook: { nodePath: process.execPath, scriptPath: path.join(__dirname, 'pre-receive.js'), url: `http://127.0.0.1:${port}`, tokenFile },
  });
  server.on('request', (req, res) => (req.url?.startsWith('/internal/') ? builds.handle(req, res) : git(req, res)));
  // Builds can take many minutes; the hook's request must not time out meanwhile.
  server.requestTimeout = 0;
  o.log.info('builder listening', { port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
