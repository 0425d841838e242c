/**
 * The individual steps of a build, each one executor call. Paths are executor-side paths
 * (posix), so they are joined with path.posix whatever the host is.
 */
import { posix } from 'node:path';
import { Writable } from 'node:stream';
import { BuildpackStepError } from './errors';
import type { BuildpackExecutor, BuildpackRef } from './types';

export interface StepContext {
  executor: BuildpackExecutor;
  env: Record<string, string>;
  /** The build log. */
  output: Writable;
}

export interface BuildDirs {
  buildDir: string;
  cacheDir: string;
  envDir: string;
}

const CAPTURE_LIMIT = 1024 * 1024;

/** Collects a step's stdout (what detect and release print), refusing to grow without bound. */
class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  overflow = false;

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (this.size + buf.length > CAPTURE_LIMIT) this.overflow = true;
    else {
      this.chunks.push(buf);
      this.size += buf.length;
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Forwards to the build log but ignores end(): an executor that pipe()s a child's stdout into
 * it must not close the log after the first step.
 */
export function logSink(output: Writable): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      output.write(chunk, (err) => done(err ?? null));
    },
  });
}

const discard = (): Writable =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

async function capture(ctx: StepContext, argv: string[], stderr: Writable): Promise<{ code: number; stdout: string }> {
  const out = new Capture();
  const code = await ctx.executor.exec(argv, { env: ctx.env, stdout: out, stderr });
  if (out.overflow) throw new BuildpackStepError(`${argv[0]} printed more than ${CAPTURE_LIMIT} bytes`);
  return { code, stdout: out.text() };
}

/** Reads a regular file inside the build (so symlinks resolve in the build's view, not the host's); null if absent. */
export async function readBuildFile(ctx: StepContext, file: string): Promise<string | null> {
  const { code, stdout } = await capture(
    ctx,
    ['/bin/bash', '-c', 'if [ ! -f "$1" ]; then exit 3; fi; exec cat -- "$1"', 'paas-read', file],
    discard(),
  );
  if (code === 3) return null;
  if (code !== 0) throw new BuildpackStepError(`could not read ${file} (exit ${code})`);
  return stdout;
}

/** bin/detect BUILD_DIR: the first line it prints (its display name) when it exits 0, else null. */
export async function detect(ctx: StepContext, bp: BuildpackRef, buildDir: string): Promise<string | null> {
  const { code, stdout } = await capture(ctx, [posix.join(bp.dir, 'bin', 'detect'), buildDir], discard());
  if (code !== 0) return null;
  const name = (stdout.split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '').trim().slice(0, 80);
  return name === '' ? bp.name : name;
}

/** A fresh scratch dir made by the executor (so it exists where the steps run). */
export async function makeWorkDir(ctx: StepContext): Promise<string> {
  const { code, stdout } = await capture(ctx, ['mktemp', '-d', '-t', 'paas-buildpacks.XXXXXX'], logSink(ctx.output));
  const dir = stdout.trim();
  if (code !== 0 || !dir.startsWith('/')) throw new BuildpackStepError('could not create a scratch directory for the build');
  return dir;
}

export async function removeDir(ctx: StepContext, dir: string): Promise<void> {
  await ctx.executor.exec(['rm', '-rf', '--', dir], { env: ctx.env, stdout: discard(), stderr: discard() });
}

/**
 * Copies a buildpack into the writable scratch dir: production mounts buildpacks read-only,
 * and the contract has each buildpack write `export` into its own dir (BP_DIR/export). A stale
 * `export` that came with the source is dropped: only this build's compile may provide one.
 */
export async function copyBuildpack(ctx: StepContext, from: string, to: string): Promise<void> {
  const code = await ctx.executor.exec(
    ['/bin/bash', '-c', 'rm -rf -- "$2" && mkdir -p -- "$2" && cp -R -- "$1"/. "$2"/ && rm -f -- "$2/export"', 'paas-copy', from, to],
    { env: ctx.env, stdout: logSink(ctx.output), stderr: logSink(ctx.output) },
  );
  if (code !== 0) throw new BuildpackStepError(`could not copy buildpack ${from} to ${to}`);
}

/**
 * bin/compile BUILD_DIR CACHE_DIR ENV_DIR, after sourcing the `export` files of the buildpacks
 * that ran before it (in order), its output streamed to the build log. Returns the exit code.
 */
export function compile(ctx: StepContext, bpDir: string, exportFiles: string[], dirs: BuildDirs): Promise<number> {
  const script = [
    '__paas_n=$1; shift',
    'while [ "$__paas_n" -gt 0 ]; do',
    '  if [ -f "$1" ]; then . "$1"; fi',
    '  shift; __paas_n=$((__paas_n - 1))',
    'done',
    'unset __paas_n',
    'exec "$@"',
  ].join('\n');
  const argv = [
    '/bin/bash', '-c', script, 'paas-compile',
    String(exportFiles.length), ...exportFiles,
    posix.join(bpDir, 'bin', 'compile'), dirs.buildDir, dirs.cacheDir, dirs.envDir,
  ];
  return ctx.executor.exec(argv, { env: ctx.env, stdout: logSink(ctx.output), stderr: logSink(ctx.output) });
}

/** bin/release BUILD_DIR's stdout (YAML); a buildpack without bin/release declares nothing. */
export async function release(ctx: StepContext, bpDir: string, buildDir: string): Promise<{ code: number; stdout: string }> {
  return capture(
    ctx,
    ['/bin/bash', '-c', 'if [ ! -e "$1" ]; then exit 0; fi; exec "$@"', 'paas-release', posix.join(bpDir, 'bin', 'release'), buildDir],
    logSink(ctx.output),
  );
}
