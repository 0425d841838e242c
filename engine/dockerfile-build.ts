/**
 * Dockerfile builds: one stage (FROM … to the end), each instruction a step on top of
 * the previous state, reused from the step cache when its inputs are unchanged, with
 * Docker's output (`Step 3/7 : RUN …`, ` ---> Using cache`, ` ---> 1a2b3c4d5e6f`).
 * RUN steps run in containers of the image built so far; COPY/ADD/WORKDIR write
 * layers directly; the rest only change the config.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { DockerfileBuildOptions, ImageInfo } from './types';
import type { Instruction } from './dockerfile-parser';
import { parseDockerfile } from './dockerfile-parser';
import { StepCache, stateId, stepKey, type BuildState } from './dockerfile-cache';
import { hashSources, resolveSources } from './dockerfile-context';
import { expandWords } from './dockerfile-words';
import { absolutePath, applyArg, applyMetadata, commandLine, PREDEFINED_ARGS, runArgsEnv, singleWord, stageVars, type Stage } from './dockerfile-steps';
import { copyLayer, numericUser, runUser, workdirLayer, type CopyStep } from './dockerfile-fs-steps';
import { runStep, type RunStepDeps } from './dockerfile-run';
import { resolveFrom } from './dockerfile-from';
import { BuildStepFailedError, DockerfileError, RunAbortedError } from './errors';

export interface BuildDeps extends RunStepDeps {
  /** Where step cache entries live (<dataDir>/build-cache). */
  cacheDir: string;
  ensureStack(): Promise<ImageInfo>;
  /** Fetches an image from a registry, when the engine has one. */
  pull?: (ref: string) => Promise<ImageInfo | undefined>;
}

const UNSUPPORTED: Record<string, string> = {
  HEALTHCHECK: 'HEALTHCHECK is not supported: paas checks web processes by their port',
  ONBUILD: 'ONBUILD is not supported',
  VOLUME: 'VOLUME is not supported: use paas volumes',
  STOPSIGNAL: 'STOPSIGNAL is not supported: processes get SIGTERM, then SIGKILL',
};
const FLAGS: Record<string, string[]> = { FROM: [], COPY: ['chown', 'chmod', 'link'], ADD: ['chown', 'chmod', 'link'] };

const short = (id: string): string => id.slice(0, 12);

async function dockerfileText(o: DockerfileBuildOptions): Promise<string> {
  if (o.dockerfile?.includes('\n')) return o.dockerfile;
  const path = o.dockerfile ?? 'Dockerfile';
  try {
    return await readFile(isAbsolute(path) ? path : join(o.contextDir, path), 'utf8');
  } catch {
    throw new DockerfileError(`cannot read the Dockerfile ${path}`);
  }
}

function checkFlags(ins: Instruction): void {
  for (const flag of Object.keys(ins.flags)) {
    if (!(FLAGS[ins.keyword] ?? []).includes(flag)) {
      const hint = flag === 'from' ? ' (multi-stage builds are not supported)' : '';
      throw new DockerfileError(`${ins.keyword} does not support the flag --${flag}${hint}`, ins.line);
    }
  }
}

/** COPY/ADD arguments: sources resolved inside the context, the destination made absolute. */
async function copyStep(ins: Instruction, stage: Stage, contextDir: string): Promise<CopyStep> {
  const words = ins.json ?? expandWords(ins.args, stageVars(stage), stage.escape);
  if (words.length < 2) throw new DockerfileError(`${ins.keyword} needs a source and a destination`, ins.line);
  const patterns = words.slice(0, -1);
  const remote = patterns.find((p) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('git@'));
  if (remote) throw new DockerfileError(`${ins.keyword} from a URL is not supported (${remote}): download it in a RUN step`, ins.line);
  let sources;
  try {
    sources = await resolveSources(contextDir, patterns);
  } catch (err) {
    if (err instanceof DockerfileError) throw new DockerfileError(`${ins.keyword} failed: ${err.message}`, ins.line);
    throw err;
  }
  const rawDest = words[words.length - 1]!;
  if (sources.length > 1 && !rawDest.endsWith('/')) {
    throw new DockerfileError(`When using ${ins.keyword} with more than one source file, the destination must be a directory and end with a /`, ins.line);
  }
  const step: CopyStep = { sources, dest: absolutePath(stage, rawDest), destIsDir: rawDest.endsWith('/') || sources.length > 1, extractArchives: ins.keyword === 'ADD' };
  if (ins.flags.chown) step.chown = ins.flags.chown;
  if (ins.flags.chmod !== undefined) {
    if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) throw new DockerfileError(`invalid --chmod ${ins.flags.chmod}: use octal, like 755`, ins.line);
    step.mode = parseInt(ins.flags.chmod, 8);
  }
  return step;
}

interface StepPlan {
  parts: string[];
  run(): Promise<BuildState>;
}

/** What a step depends on (its cache key parts) and how to compute it. */
async function plan(d: BuildDeps, o: DockerfileBuildOptions, ins: Instruction, stage: Stage, buildId: string): Promise<StepPlan> {
  const { layers, config } = stage.state;
  const withLayer = (diffId: string | undefined): BuildState => ({ layers: diffId ? [...layers, diffId] : layers, config });
  switch (ins.keyword) {
    case 'RUN': {
      const argv = commandLine(ins, stage);
      const env = runArgsEnv(stage);
      return {
        parts: ['RUN', JSON.stringify(argv), JSON.stringify(env)],
        run: async () => {
          const ref = `paas-build/step:${stateId(stage.state)}`;
          if (!(await d.images.get(ref))) await d.images.writeImage(ref, layers, config);
          const id = `build-${buildId}-${randomBytes(3).toString('hex')}`;
          o.output.write(` ---> Running in ${id}\n`);
          const user = await runUser(d.images, stage);
          const spec = { id, image: ref, cmd: argv, env, user, workingDir: config.WorkingDir ?? '/', network: 'bridge' as const };
          const r = await runStep(d, spec, o.output, o.signal);
          if (r.exitCode !== 0) throw new BuildStepFailedError(argv.join(' '), r.exitCode, ins.line);
          o.output.write(`Removing intermediate container ${id}\n`);
          return withLayer(r.diffId);
        },
      };
    }
    case 'COPY':
    case 'ADD': {
      const step = await copyStep(ins, stage, o.contextDir);
      const parts = [ins.keyword, JSON.stringify({ ...step, sources: step.sources.map((s) => s.rel) }), await hashSources(step.sources)];
      return { parts, run: async () => withLayer(await copyLayer(d.images, stage, step)) };
    }
    case 'WORKDIR': {
      const path = absolutePath(stage, singleWord(ins, stage));
      return {
        parts: ['WORKDIR', path, config.User ?? ''],
        run: async () => ({ layers: withLayer(await workdirLayer(d.images, stage, path)).layers, config: { ...config, WorkingDir: path } }),
      };
    }
    case 'USER': {
      const spec = singleWord(ins, stage);
      return { parts: ['USER', spec], run: async () => ({ layers, config: { ...config, User: await numericUser(d.images, stage, spec) } }) };
    }
    default: {
      if (UNSUPPORTED[ins.keyword]) throw new DockerfileError(UNSUPPORTED[ins.keyword]!, ins.line);
      const next = applyMetadata(ins, stage);
      if (!next) throw new DockerfileError(`unknown instruction: ${ins.keyword}`, ins.line);
      return { parts: [ins.keyword, JSON.stringify(next), JSON.stringify(stage.shell)], run: async () => next };
    }
  }
}

export async function buildDockerfile(d: BuildDeps, o: DockerfileBuildOptions): Promise<ImageInfo> {
  const { instructions, escape } = parseDockerfile(await dockerfileText(o));
  const buildArgs = o.buildArgs ?? {};
  const used = new Set<string>(PREDEFINED_ARGS);
  const cache = new StepCache(d.cacheDir, d.images);
  const buildId = randomBytes(3).toString('hex');
  const stage: Stage = { state: { layers: [], config: {} }, args: new Map(), globalArgs: new Map(), shell: ['/bin/sh', '-c'], cmdSet: false, escape };
  let from = false;
  for (const [i, ins] of instructions.entries()) {
    if (o.signal?.aborted) throw new RunAbortedError(`build of ${o.tag}`);
    o.output.write(`Step ${i + 1}/${instructions.length} : ${ins.keyword} ${ins.original}\n`);
    checkFlags(ins);
    if (ins.keyword === 'ARG') {
      applyArg(ins, stage, buildArgs, used);
      if (from) o.output.write(` ---> ${short(stateId(stage.state))}\n`);
      continue;
    }
    if (ins.keyword === 'FROM') {
      if (from) throw new DockerfileError('multi-stage builds (a second FROM) are not supported', ins.line);
      from = true;
      stage.state = await resolveFrom(d, ins, stage);
      // ARGs before FROM serve FROM; inside the stage only a new `ARG NAME` brings one back.
      stage.globalArgs = stage.args;
      stage.args = new Map();
      o.output.write(` ---> ${short(stateId(stage.state))}\n`);
      continue;
    }
    if (!from) throw new DockerfileError(`${ins.keyword} before FROM: a Dockerfile must start with FROM`, ins.line);
    const p = await plan(d, o, ins, stage, buildId);
    const key = stepKey(stateId(stage.state), p.parts);
    const cached = o.noCache ? undefined : await cache.get(key);
    if (cached) o.output.write(' ---> Using cache\n');
    const next = cached ?? (await p.run());
    if (!cached) await cache.put(key, next);
    stage.state = next;
    o.output.write(` ---> ${short(stateId(next))}\n`);
  }
  if (!from) throw new DockerfileError('the Dockerfile has no FROM instruction');
  const unused = Object.keys(buildArgs).filter((k) => !used.has(k));
  if (unused.length > 0) o.output.write(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
  const info = await d.images.writeImage(o.tag, stage.state.layers, stage.state.config);
  o.output.write(`Successfully built ${short(stateId(stage.state))}\nSuccessfully tagged ${o.tag}\n`);
  return info;
}
