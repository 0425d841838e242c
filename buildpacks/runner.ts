/**
 * The classic Heroku buildpack contract, orchestrated from the host: pick the buildpacks
 * (explicit list, `.buildpacks`, or first bin/detect to succeed), run each bin/compile with the
 * `export`s of the previous ones, collect bin/release, and let the Procfile have the last word.
 */
import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import * as heroku from '../shared/heroku-output';
import { parseBuildpacksFile, resolveBuildpacks } from './buildpacks-file';
import { BuildpackError, BuildpackNotCompatibleError, CompileFailedError, NoBuildpackDetectedError } from './errors';
import { parseProcfile } from './procfile';
import { mergeReleases, parseRelease, type ReleaseInfo } from './release';
import { shippedBuildpacks } from './shipped';
import * as steps from './steps';
import type { BuildpackRef, BuildResult, RunBuildpacksOptions, UsedBuildpack } from './types';

/** The stack's PATH, set because an executor may start steps with an empty environment. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const BUILDPACK_NAME = /^[A-Za-z0-9._-]+$/;

interface Plan {
  /** Chosen by the app or caller (announced, each detect must pass) rather than detected. */
  explicit: boolean;
  buildpacks: { bp: BuildpackRef; detected?: string }[];
}

export async function runBuildpacks(options: RunBuildpacksOptions): Promise<BuildResult> {
  const available = options.buildpacks ?? shippedBuildpacks();
  for (const bp of available) {
    if (!BUILDPACK_NAME.test(bp.name)) throw new Error(`invalid buildpack name "${bp.name}"`);
  }
  const ctx: steps.StepContext = {
    executor: options.executor,
    env: { PATH: DEFAULT_PATH, STACK: 'paas-bookworm', ...options.env },
    output: options.output,
  };
  const dirs: steps.BuildDirs = { buildDir: options.buildDir, cacheDir: options.cacheDir, envDir: options.envDir };

  try {
    // One step reads both: a broken Procfile fails the push before a long compile, not after it.
    const [procfile, buildpacksFile] = await steps.readBuildFiles(ctx, [posix.join(options.buildDir, 'Procfile'), posix.join(options.buildDir, '.buildpacks')]);
    if (procfile !== null) parseProcfile(procfile);
    const plan = await choose(ctx, options, available, buildpacksFile);
    if (plan.explicit) {
      ctx.output.write(heroku.topic('Using buildpacks:'));
      plan.buildpacks.forEach(({ bp }, i) => ctx.output.write(heroku.detail(`${i + 1}. ${bp.source ?? bp.name}`)));
    }

    const workDir = options.workDir ?? (await steps.makeWorkDir(ctx));
    try {
      const used = await compileAll(ctx, plan, dirs, workDir);
      const after = await steps.releaseAll(ctx, used.map((u) => u.dir), options.buildDir, posix.join(options.buildDir, 'Procfile'));
      const releases: ReleaseInfo[] = used.map(({ name }, i) => {
        const { code, stdout } = after.releases[i];
        if (code !== 0) throw new BuildpackError('buildpack_release_failed', `Buildpack ${name}: bin/release failed (exit ${code}).`);
        return parseRelease(stdout, name);
      });
      const release = mergeReleases(releases);
      // The Procfile as the compile left it (read again: a buildpack may have written it).
      const processTypes = discoverProcessTypes(ctx, after.procfile === null ? null : parseProcfile(after.procfile), release.processTypes);
      const buildpacks = used.map(({ name, detected, source, version }) => ({ name, detected, ...(source ? { source } : {}), ...(version ? { version } : {}) }));
      return { buildpacks, processTypes, configVars: release.configVars };
    } finally {
      if (options.workDir === undefined) await steps.removeDir(ctx, workDir).catch(() => undefined);
    }
  } catch (err) {
    if (err instanceof BuildpackError && !err.reported) report(ctx.output, err);
    throw err;
  }
}

async function choose(ctx: steps.StepContext, options: RunBuildpacksOptions, available: BuildpackRef[], buildpacksFile: string | null): Promise<Plan> {
  let names = options.use ?? [];
  if (names.length === 0 && buildpacksFile !== null) names = parseBuildpacksFile(buildpacksFile);
  if (names.length > 0) {
    const resolved = await resolveBuildpacks(names, available, {
      buildDir: options.buildDir,
      fetchBuildpack: options.fetchBuildpack,
      announce: (entry) => ctx.output.write(heroku.topic(`Fetching buildpack ${entry}`)),
    });
    for (const bp of resolved) {
      if (!BUILDPACK_NAME.test(bp.name)) throw new Error(`invalid buildpack name "${bp.name}"`);
      if (bp.version) ctx.output.write(heroku.detail(`${bp.name} at ${bp.version}`));
    }
    return { explicit: true, buildpacks: resolved.map((bp) => ({ bp })) };
  }
  const found = await steps.detectFirst(ctx, available, options.buildDir);
  if (found !== null) return { explicit: false, buildpacks: [{ bp: available[found.index], detected: found.name }] };
  throw new NoBuildpackDetectedError();
}

async function compileAll(
  ctx: steps.StepContext,
  plan: Plan,
  dirs: steps.BuildDirs,
  workDir: string,
): Promise<(UsedBuildpack & { dir: string })[]> {
  const used: (UsedBuildpack & { dir: string })[] = [];
  const exportFiles: string[] = [];
  for (const [i, { bp, detected: known }] of plan.buildpacks.entries()) {
    // Explicit buildpacks detect just before their compile: an earlier one may have made the files.
    const detected = known ?? (await steps.detect(ctx, bp, dirs.buildDir));
    if (detected === null) throw new BuildpackNotCompatibleError(bp.name);
    ctx.output.write(heroku.topic(`${detected} app detected`));

    const dir = posix.join(workDir, `${i + 1}-${bp.name}`);
    const code = await steps.compile(ctx, dir, exportFiles, dirs, bp.dir);
    if (code !== 0) throw new CompileFailedError(bp.name, code, detected);
    exportFiles.push(posix.join(dir, 'export'));
    used.push({ name: bp.name, detected, dir, source: bp.source, version: bp.version });
  }
  return used;
}

function discoverProcessTypes(ctx: steps.StepContext, procfile: Record<string, string> | null, defaults: Record<string, string>): Record<string, string> {
  const list = (types: Record<string, string>) => Object.keys(types).join(', ') || '(none)';
  ctx.output.write(heroku.topic('Discovering process types'));
  ctx.output.write(heroku.detail(`Procfile declares types -> ${list(procfile ?? {})}`));
  if (Object.keys(defaults).length > 0) ctx.output.write(heroku.detail(`Default types for buildpack -> ${list(defaults)}`));
  return { ...defaults, ...procfile };
}

function report(output: Writable, err: BuildpackError): void {
  output.write(heroku.error(err.message));
  if (err.hint) output.write(heroku.error(err.hint));
  err.reported = true;
}
