/**
 * One build, from the pushed tree to a release: a build record, the source in a
 * workspace, buildpacks compiled inside containers of the stack, the result committed
 * as a new image (the stack's layers plus one layer holding /app), then a release and
 * a wait until the web process answers. Everything streams to `output` in Heroku's
 * grammar; anything that fails marks the build failed and creates no release.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { BuildpackError, parseProcfile, runBuildpacks, shippedBuildpacks, type BuildpackRef } from '../buildpacks';
import { DOCKERFILE_BUILDER, type ControllerClient } from '../controller';
import type { EngineApi, ImageInfo, Mount } from '../engine';
import { errorMessage, heroku, PaasError, type Logger } from '../shared';
import { BUILD_PATHS, createContainerExecutor } from './container-executor';
import { IndentedLines } from './indented-lines';
import { createWorkspace, extractSource, handToBuildUser, removeWorkspace, writeEnvDir, type Workspace } from './workspace';

export interface BuildEnvironment {
  engine: EngineApi;
  client: ControllerClient;
  log: Logger;
  dataDir: string;
  npmRegistry: string;
  buildTimeoutMs: number;
  bootTimeoutMs: number;
  buildMemoryBytes: number;
  /** How an app's URL is printed: http://<app>.<domain><portSuffix>/ */
  webUrl: (app: string) => string;
}

export interface BuildRequest {
  app: string;
  rev: string;
  pusher?: string;
  source: Readable;
  output: Writable;
}

export const STACK_NAME = 'paas-bookworm';

export async function runBuild(env: BuildEnvironment, req: BuildRequest): Promise<'succeeded' | 'failed'> {
  const { output: out, app } = req;
  const build = await env.client.createBuild(app, req.rev, req.pusher);
  const ws = await createWorkspace(path.join(env.dataDir, 'builder', 'builds'), path.join(env.dataDir, 'builder', 'cache'), app, build.id);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), env.buildTimeoutMs);
  try {
    out.write(heroku.topic(`Building on the ${STACK_NAME} stack`));
    await extractSource(req.source, ws.source);
    writeEnvDir(ws.env, await env.client.config(app));
    await handToBuildUser(ws);
    const stack = await env.engine.ensureStack((line) => out.write(heroku.detail(line)));
    const ref = `paas/${app}:${build.id}`;
    const built = fs.existsSync(path.join(ws.source, 'Dockerfile'))
      ? await buildWithDockerfile(env, ws.source, ref, out, abort.signal)
      : await buildWithBuildpacks(env, ws, stack.ref, ref, build.id, req.rev, out, abort.signal);
    if (abort.signal.aborted) throw buildTimeout(env);
    const { image, result } = built;
    out.write(heroku.detail(`Done: image ${image.digest.slice(7, 19)}, ${image.layers.length} layers`));
    await env.client.finishBuild(app, build.id, { status: 'succeeded', image: image.ref, process_types: result.processTypes, buildpacks: result.buildpacks });

    out.write(heroku.topic('Launching...'));
    const release = await env.client.createRelease(app, build.id);
    out.write(heroku.detail(`Released v${release.version}`));
    if ('web' in result.processTypes) await waitForWeb(env, app, release.version, out);
    return 'succeeded';
  } catch (err) {
    env.log.info('build failed', { app, build: build.id, err: errorMessage(err) });
    // Buildpack errors were already written in Heroku's grammar by the runner.
    if (!(err instanceof BuildpackError && err.reported)) {
      out.write(heroku.error(errorMessage(err)));
      out.write(heroku.error('Push rejected, the build failed. Fix the problem above and push again.'));
    }
    await env.client.finishBuild(app, build.id, { status: 'failed' }).catch(() => undefined);
    return 'failed';
  } finally {
    clearTimeout(timer);
    removeWorkspace(ws);
  }
}

const buildTimeout = (env: BuildEnvironment): PaasError =>
  new PaasError('build_timeout', `Build exceeded the time limit of ${Math.round(env.buildTimeoutMs / 60_000)} minutes.`, { status: 408 });

interface Built {
  image: ImageInfo;
  result: { processTypes: Record<string, string>; buildpacks: { name: string; detected: string }[] };
}

/** The buildpack path: detect, compile and release inside containers of the stack. */
async function buildWithBuildpacks(env: BuildEnvironment, ws: Workspace, stackRef: string, ref: string, buildId: string, rev: string, out: Writable, signal: AbortSignal): Promise<Built> {
    const shipped = shippedBuildpacks();
    const buildpacks: BuildpackRef[] = shipped.map((bp) => ({ name: bp.name, dir: `${BUILD_PATHS.buildpacks}/${bp.name}` }));
    const mounts: Mount[] = [
      { source: ws.source, destination: BUILD_PATHS.build },
      { source: ws.cache, destination: BUILD_PATHS.cache },
      { source: ws.env, destination: BUILD_PATHS.env, readonly: true },
      { source: ws.work, destination: BUILD_PATHS.work },
      ...shipped.map((bp) => ({ source: bp.dir, destination: `${BUILD_PATHS.buildpacks}/${bp.name}`, readonly: true })),
      ...hostTrust(),
    ];
    const executor = createContainerExecutor({ engine: env.engine, image: stackRef, mounts, buildId, memoryBytes: env.buildMemoryBytes, signal });
    const result = await runBuildpacks({
      executor,
      buildDir: BUILD_PATHS.build,
      cacheDir: BUILD_PATHS.cache,
      envDir: BUILD_PATHS.env,
      workDir: BUILD_PATHS.work,
      buildpacks,
      output: out,
      env: { NPM_CONFIG_REGISTRY: env.npmRegistry, SOURCE_VERSION: rev, STACK: STACK_NAME },
    });
    if (signal.aborted) throw buildTimeout(env);
    out.write(heroku.topic('Compressing...'));
    const image = await env.engine.commit(stackRef, ws.layer, { WorkingDir: '/app', User: '1000:1000', Env: ['HOME=/app'] }, ref);
    return { image, result };
}

/**
 * The Dockerfile path (like Dokku): the app's own Dockerfile at the root of the push
 * builds the image, each step a layer, with the step cache. Its ENTRYPOINT/CMD is the
 * web process unless a Procfile names the process types.
 */
async function buildWithDockerfile(env: BuildEnvironment, context: string, ref: string, out: Writable, signal: AbortSignal): Promise<Built> {
  out.write(heroku.topic('Dockerfile app detected'));
  // git metadata is not part of the app (there is no .dockerignore support yet).
  fs.rmSync(path.join(context, '.git'), { recursive: true, force: true });
  const image = await env.engine.buildDockerfile({ contextDir: context, tag: ref, output: new IndentedLines(out), signal });
  const procfile = path.join(context, 'Procfile');
  const processTypes = fs.existsSync(procfile) ? parseProcfile(fs.readFileSync(procfile, 'utf8')) : { web: '' };
  out.write(heroku.topic('Discovering process types'));
  out.write(heroku.detail(fs.existsSync(procfile) ? `Procfile declares types -> ${Object.keys(processTypes).join(', ')}` : "Using the image's ENTRYPOINT/CMD as web"));
  return { image, result: { processTypes, buildpacks: [{ name: DOCKERFILE_BUILDER, detected: 'Dockerfile' }] } };
}

/**
 * Builds trust the host's CA bundle: where the operator's network reaches package
 * registries through a TLS-inspecting proxy, its CA is in the host's bundle, not the stack's.
 */
function hostTrust(): Mount[] {
  const bundle = '/etc/ssl/certs/ca-certificates.crt';
  return fs.existsSync(bundle) ? [{ source: bundle, destination: bundle, readonly: true }] : [];
}

/** Waits until a web process of the release answers on $PORT, then prints the URL. */
async function waitForWeb(env: BuildEnvironment, app: string, version: number, out: Writable): Promise<void> {
  const deadline = Date.now() + env.bootTimeoutMs + 30_000;
  while (Date.now() < deadline) {
    const dynos = await env.client.dynos(app).catch(() => []);
    if (dynos.some((d) => d.type === 'web' && d.release === version && d.state === 'up')) {
      out.write(heroku.detail(`${env.webUrl(app)} deployed to paas`));
      return;
    }
    if (dynos.some((d) => d.type === 'web' && d.release === version && d.state === 'crashed')) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  out.write(heroku.error(`Released v${version}, but its web process is not up yet. See \`paas ps -a ${app}\` and \`paas logs -a ${app}\`.`));
}
