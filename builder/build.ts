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
import { BuildpackError, createBuildpackFetcher, parseProcfile, runBuildpacks, shippedBuildpacks, type BuildpackRef } from '../buildpacks';
import { DOCKERFILE_BUILDER, type ControllerClient } from '../controller';
import type { EngineApi, ImageInfo, Mount } from '../engine';
import { errorMessage, heroku, PaasError, type Logger } from '../shared';
import { appBuildpackNames } from './app-buildpacks';
import { readAppJson } from './app-json';
import { BuildLog } from './build-log';
import { BUILD_PATHS, createContainerExecutor } from './container-executor';
import { IndentedLines } from './indented-lines';
import { commitSlug } from './slug-layers';
import { publishImage } from './publish-image';
import { createWorkspace, dirBytes, extractSource, handToBuildUser, removeWorkspace, writeEnvDir, type Workspace } from './workspace';

export interface BuildEnvironment {
  engine: EngineApi;
  client: ControllerClient;
  log: Logger;
  dataDir: string;
  npmRegistry: string;
  buildTimeoutMs: number;
  bootTimeoutMs: number;
  /** How long the scheduler may take to deploy a release before it is failed (default 120 s, T3). */
  deployTimeoutMs?: number;
  buildMemoryBytes: number;
  /** How an app's URL is printed: http://<app>.<domain><portSuffix>/ */
  webUrl: (app: string) => string;
  /** Buildpacks the operator made available from host directories (PAAS_EXTRA_BUILDPACKS). */
  extraBuildpacks?: { name: string; dir: string }[];
}

export interface BuildRequest {
  app: string;
  rev: string;
  pusher?: string;
  source: Readable;
  output: Writable;
  /** Aborted when the push is cancelled (the git client went away): the build stops. */
  signal?: AbortSignal;
}

export const STACK_NAME = 'paas-bookworm';

export async function runBuild(env: BuildEnvironment, req: BuildRequest): Promise<'succeeded' | 'failed'> {
  const { app } = req;
  const started = Date.now();
  const build = await env.client.createBuild(app, req.rev, req.pusher);
  const logsDir = path.join(env.dataDir, 'builder', 'logs');
  fs.mkdirSync(logsDir, { recursive: true, mode: 0o700 });
  const spool = path.join(logsDir, `${build.id}.log`);
  const out = new BuildLog(req.output, spool);
  const { id: appId } = await env.client.app(app);
  const ws = await createWorkspace(path.join(env.dataDir, 'builder', 'builds'), path.join(env.dataDir, 'builder', 'cache'), { id: appId, name: app }, build.id);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(buildTimeout(env)), env.buildTimeoutMs);
  const cancel = () => abort.abort(new PaasError('build_cancelled', 'The push was cancelled (the git client went away), so the build stopped. Push again to build.', { status: 499 }));
  if (req.signal?.aborted) cancel();
  req.signal?.addEventListener('abort', cancel);
  const stopped = (): void => {
    if (abort.signal.aborted) throw abort.signal.reason;
  };
  try {
    out.write(heroku.topic(`Building on the ${STACK_NAME} stack`));
    await extractSource(req.source, ws.source);
    const appJson = readAppJson(ws.source);
    for (const w of appJson.warnings) out.write(heroku.detail(w));
    writeEnvDir(ws.env, await env.client.config(app), (key) => out.write(heroku.detail(`Config var ${JSON.stringify(key)} is not a valid environment variable name; the build does not see it.`)));
    await handToBuildUser(ws);
    stopped();
    const stack = await env.engine.ensureStack((line) => out.write(heroku.detail(line)));
    const ref = `paas/${app}:${build.id}`;
    const built = fs.existsSync(path.join(ws.source, 'Dockerfile'))
      ? await buildWithDockerfile(env, ws.source, ref, out, abort.signal)
      : await buildWithBuildpacks(env, ws, stack.ref, ref, build.id, req.rev, app, out, abort.signal);
    stopped();
    const { image, result } = built;
    await publishImage(env.engine, image, out);
    out.write(heroku.detail(`Done: image ${image.digest.slice(7, 19)}, ${image.layers.length} layers${built.size === undefined ? '' : `, ${formatBytes(built.size)}`}`));
    await env.client.finishBuild(app, build.id, {
      status: 'succeeded',
      image: image.ref,
      image_digest: image.digest,
      image_size: built.size,
      duration_ms: Date.now() - started,
      output: out.text(),
      process_types: result.processTypes,
      buildpacks: result.buildpacks,
      healthchecks: appJson.healthchecks,
    });

    req.output.write(heroku.topic('Launching...'));
    const release = await env.client.createRelease(app, build.id);
    req.output.write(heroku.detail(`Released v${release.version}`));
    if (!(await waitForWeb(env, app, release.version, 'web' in result.processTypes, req.output))) return 'failed';
    return 'succeeded';
  } catch (caught) {
    const err: unknown = abort.signal.aborted ? abort.signal.reason : caught;
    env.log.info('build failed', { app, build: build.id, err: errorMessage(err) });
    // Buildpack errors were already written in Heroku's grammar by the runner.
    if (!(err instanceof BuildpackError && err.reported)) {
      out.write(heroku.error(errorMessage(err)));
      out.write(heroku.error('Push rejected, the build failed. Fix the problem above and push again.'));
    }
    await env.client.finishBuild(app, build.id, { status: 'failed', duration_ms: Date.now() - started, output: out.text() }).catch(() => undefined);
    return 'failed';
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', cancel);
    removeWorkspace(ws);
    fs.rmSync(spool, { force: true });
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

const buildTimeout = (env: BuildEnvironment): PaasError =>
  new PaasError('build_timeout', `Build exceeded the time limit of ${Math.round(env.buildTimeoutMs / 60_000)} minutes.`, { status: 408 });

interface Built {
  image: ImageInfo;
  /** Bytes of the app's own layer (the slug), when known. */
  size?: number;
  result: { processTypes: Record<string, string>; buildpacks: { name: string; detected: string }[] };
}

/** The buildpack path: detect, compile and release inside containers of the stack. */
async function buildWithBuildpacks(env: BuildEnvironment, ws: Workspace, stackRef: string, ref: string, buildId: string, rev: string, app: string, out: Writable, signal: AbortSignal): Promise<Built> {
  // The operator's extra buildpacks come after the shipped ones, so detection order is unchanged.
  const shipped = [...shippedBuildpacks(), ...(env.extraBuildpacks ?? [])];
  const buildpacks: BuildpackRef[] = shipped.map((bp) => ({ name: bp.name, dir: `${BUILD_PATHS.buildpacks}/${bp.name}` }));
  const use = appBuildpackNames((await env.client.buildpacks(app)).map((i) => i.buildpack.url), env.extraBuildpacks ?? []);
  const mounts: Mount[] = [
    { source: ws.source, destination: BUILD_PATHS.build },
    { source: ws.cache, destination: BUILD_PATHS.cache },
    { source: ws.env, destination: BUILD_PATHS.env, readonly: true },
    { source: ws.work, destination: BUILD_PATHS.work },
    ...shipped.map((bp) => ({ source: bp.dir, destination: `${BUILD_PATHS.buildpacks}/${bp.name}`, readonly: true })),
    ...hostTrust(),
  ];
  // Buildpacks given by URL are fetched on the host (git clone into a per-commit cache)
  // and mounted read-only for the steps that follow; the build itself never fetches code.
  const fetcher = createBuildpackFetcher({ cacheDir: path.join(env.dataDir, 'builder', 'buildpacks') });
  let fetched = 0;
  const fetchBuildpack = async (reference: string): Promise<BuildpackRef> => {
    const bp = await fetcher(reference);
    const destination = `${BUILD_PATHS.buildpacks}/ext-${++fetched}-${bp.name}`;
    mounts.push({ source: bp.dir, destination, readonly: true });
    return { ...bp, dir: destination };
  };
  const executor = createContainerExecutor({ engine: env.engine, image: stackRef, mounts, buildId, memoryBytes: env.buildMemoryBytes, signal });
  const result = await runBuildpacks({
    executor,
    buildDir: BUILD_PATHS.build,
    cacheDir: BUILD_PATHS.cache,
    envDir: BUILD_PATHS.env,
    workDir: BUILD_PATHS.work,
    buildpacks,
    use,
    fetchBuildpack,
    output: out,
    env: { NPM_CONFIG_REGISTRY: env.npmRegistry, SOURCE_VERSION: rev, STACK: STACK_NAME },
  });
  if (signal.aborted) throw buildTimeout(env);
  out.write(heroku.topic('Compressing...'));
  const size = await dirBytes(ws.layer);
  const { image, runtimeReused } = await commitSlug(env.engine, { app, stackRef, layerDir: ws.layer, scratchDir: ws.root, config: { WorkingDir: '/app', User: '1000:1000', Env: ['HOME=/app'] }, ref });
  if (runtimeReused) out.write(heroku.detail('Runtime (.heroku) unchanged: its layer is reused'));
  return { image, result, size };
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

/**
 * Waits for the scheduler's verdict on the release's deploy (bounded by the deploy
 * timeout plus a margin) and tells the pusher. false: the deploy failed, the previous
 * release keeps serving, and the push fails so the same push can simply be retried.
 * A scheduler that records no deploys (an older one) is followed the old way: the web
 * process of the release is up.
 */
export async function waitForWeb(env: BuildEnvironment, app: string, version: number, hasWeb: boolean, out: Writable): Promise<boolean> {
  const started = Date.now();
  const deadline = started + (env.deployTimeoutMs ?? 120_000) + 30_000;
  let target = version;
  let waiting = false;
  while (Date.now() < deadline) {
    const [release, deploys] = await Promise.all([env.client.release(app, target).catch(() => undefined), env.client.deploys(app).catch(() => undefined)]);
    const deploy = deploys?.find((d) => d.release === target);
    if (release?.status === 'succeeded') {
      out.write(heroku.detail(hasWeb ? `${env.webUrl(app)} deployed to paas` : `v${target} deployed to paas`));
      return true;
    }
    if (deploy?.status === 'superseded') {
      // A config change made during the deploy carries the same build: its outcome is this push's.
      const newer = deploys?.find((d) => d.status !== 'superseded' && d.release > target);
      const same = newer ? await env.client.release(app, newer.release).catch(() => undefined) : undefined;
      if (newer && same && same.build_id === release?.build_id) {
        out.write(heroku.detail(`v${target} was superseded by v${newer.release} (same build); waiting for v${newer.release}`));
        target = newer.release;
        continue;
      }
    }
    if (release?.status === 'failed') {
      const reason = (release.status_reason ?? deploy?.reason ?? 'no reason was recorded').replace(/\.$/, '');
      const serving = deploy?.from ?? (await env.client.app(app).catch(() => undefined))?.release_version;
      out.write(heroku.error(`Deploy of v${target} failed: ${reason}.`));
      out.write(
        heroku.error(
          `${serving ? `v${serving} keeps serving.` : 'No earlier release serves the app.'} Fix the problem and push again; \`paas releases:info v${target} -a ${app}\` and \`paas logs -a ${app}\` show more.`,
        ),
      );
      return false;
    }
    if (!deploy && (await legacyUp(env, app, target, hasWeb, started))) {
      out.write(heroku.detail(hasWeb ? `${env.webUrl(app)} deployed to paas` : `v${target} released`));
      return true;
    }
    if (!waiting && Date.now() - started > 5_000) {
      out.write(heroku.detail(`Waiting for v${target} to be deployed${hasWeb ? ' (its web processes must accept connections on $PORT)' : ''}...`));
      waiting = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  out.write(heroku.error(`v${target} was released, but its deploy has not finished in time. See \`paas ps -a ${app}\` and \`paas logs -a ${app}\`, then push again.`));
  return false;
}

/** Before schedulers recorded deploys: a web dyno of the release up, or (no web) nothing to wait for. */
async function legacyUp(env: BuildEnvironment, app: string, version: number, hasWeb: boolean, started: number): Promise<boolean> {
  if (!hasWeb) return Date.now() - started > 15_000;
  const dynos = await env.client.dynos(app).catch(() => []);
  return dynos.some((d) => d.type === 'web' && d.release === version && d.state === 'up');
}
