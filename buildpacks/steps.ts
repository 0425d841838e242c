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
    return this.bytes().toString('utf8');
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
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
  const { code, stdout } = await captureBytes(ctx, argv, stderr);
  return { code, stdout: stdout.toString('utf8') };
}

async function captureBytes(ctx: StepContext, argv: string[], stderr: Writable): Promise<{ code: number; stdout: Buffer }> {
  const out = new Capture();
  const code = await ctx.executor.exec(argv, { env: ctx.env, stdout: out, stderr });
  if (out.overflow) throw new BuildpackStepError(`${argv[0]} printed more than ${CAPTURE_LIMIT} bytes`);
  return { code, stdout: out.bytes() };
}

/*
 * Every executor call is a container start in production (the slow part of a small build), so
 * the steps that only read or ask run together: one call prints several results as records,
 * each a header line `TAG CODE LENGTH` followed by LENGTH bytes.
 */
interface StepRecord {
  tag: string;
  code: number;
  body: string;
}

/** Bash that prints file $1 as a record: `file 0 LEN` and its bytes, or `none 0 0` when it is no regular file. */
const EMIT_FILE = 'emit_file() { if [ -f "$1" ]; then printf \'file 0 %s\\n\' "$(wc -c < "$1")" && cat -- "$1"; else printf \'none 0 0\\n\'; fi; }';

function parseRecords(out: Buffer, what: string): StepRecord[] {
  const records: StepRecord[] = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    const m = eol < 0 ? null : /^([a-z]+) (\d+) (\d+)$/.exec(out.subarray(at, eol).toString('latin1'));
    if (!m || eol + 1 + Number(m[3]) > out.length) throw new BuildpackStepError(`${what}: unreadable step output`);
    const end = eol + 1 + Number(m[3]);
    records.push({ tag: m[1], code: Number(m[2]), body: out.subarray(eol + 1, end).toString('utf8') });
    at = end;
  }
  return records;
}

/** Reads regular files inside the build in one step (symlinks resolve in the build's view); null for each that is absent. */
export async function readBuildFiles(ctx: StepContext, files: string[]): Promise<(string | null)[]> {
  const script = `${EMIT_FILE}\nfor f; do emit_file "$f" || exit 1; done`;
  const { code, stdout } = await captureBytes(ctx, ['/bin/bash', '-c', script, 'paas-read', ...files], discard());
  const records = code === 0 ? parseRecords(stdout, 'reading the build files') : [];
  if (records.length !== files.length) throw new BuildpackStepError(`could not read ${files.join(', ')} (exit ${code})`);
  return records.map((r) => (r.tag === 'file' ? r.body : null));
}

/**
 * Detection in one step: each buildpack's bin/detect BUILD_DIR in order until one exits 0.
 * The index of that buildpack and its display name (first line printed), or null if none does.
 */
export async function detectFirst(ctx: StepContext, bps: BuildpackRef[], buildDir: string): Promise<{ index: number; name: string } | null> {
  if (bps.length === 0) return null;
  const script = [
    'b=$1; shift; i=0',
    'for d; do',
    '  if out=$("$d/bin/detect" "$b" 2>/dev/null); then printf \'detected %s %s\\n%s\' "$i" "${#out}" "$out"; exit 0; fi',
    '  i=$((i + 1))',
    'done',
    'exit 3',
  ].join('\n');
  const { code, stdout } = await captureBytes(ctx, ['/bin/bash', '-c', script, 'paas-detect', buildDir, ...bps.map((bp) => bp.dir)], discard());
  if (code === 3) return null;
  // ${#out} counts characters, not bytes: the body is the rest of the output, whatever its length.
  const eol = stdout.indexOf(0x0a);
  const head = eol < 0 ? null : /^detected (\d+) \d+$/.exec(stdout.subarray(0, eol).toString('latin1'));
  const index = head ? Number(head[1]) : -1;
  if (code !== 0 || index < 0 || index >= bps.length) throw new BuildpackStepError(`detection failed (exit ${code})`);
  return { index, name: displayName(stdout.subarray(eol + 1).toString('utf8'), bps[index].name) };
}

function displayName(stdout: string, fallback: string): string {
  const name = (stdout.split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '').trim().slice(0, 80);
  return name === '' ? fallback : name;
}

/** bin/detect BUILD_DIR: the first line it prints (its display name) when it exits 0, else null. */
export async function detect(ctx: StepContext, bp: BuildpackRef, buildDir: string): Promise<string | null> {
  const { code, stdout } = await capture(ctx, [posix.join(bp.dir, 'bin', 'detect'), buildDir], discard());
  if (code !== 0) return null;
  return displayName(stdout, bp.name);
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
 * bin/compile BUILD_DIR CACHE_DIR ENV_DIR, after sourcing the `export` files of the buildpacks
 * that ran before it (in order), its output streamed to the build log. Returns the exit code.
 * With copyFrom, the buildpack is first copied to bpDir, in the writable scratch dir: production
 * mounts buildpacks read-only, and the contract has each buildpack write `export` into its own
 * dir (BP_DIR/export). A stale `export` that came with the source is dropped: only this build's
 * compile may provide one.
 */
export function compile(ctx: StepContext, bpDir: string, exportFiles: string[], dirs: BuildDirs, copyFrom = ''): Promise<number> {
  const script = [
    // copyBuildpack in the same step (one container start fewer); a failed copy fails the compile.
    'if [ -n "$1" ]; then',
    '  { rm -rf -- "$2" && mkdir -p -- "$2" && cp -R -- "$1"/. "$2"/ && rm -f -- "$2/export"; } || { echo " !     could not copy buildpack $1 to $2" >&2; exit 1; }',
    'fi',
    'shift 2',
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
    copyFrom, bpDir,
    String(exportFiles.length), ...exportFiles,
    posix.join(bpDir, 'bin', 'compile'), dirs.buildDir, dirs.cacheDir, dirs.envDir,
  ];
  return ctx.executor.exec(argv, { env: ctx.env, stdout: logSink(ctx.output), stderr: logSink(ctx.output) });
}


/**
 * Every used buildpack's bin/release BUILD_DIR (stdout captured, stderr to the log; a buildpack
 * without bin/release declares nothing), then the app's Procfile (null if absent), in one step.
 */
export async function releaseAll(ctx: StepContext, bpDirs: string[], buildDir: string, procfile: string): Promise<{ releases: { code: number; stdout: string }[]; procfile: string | null }> {
  const script = [
    EMIT_FILE,
    'p=$1; b=$2; shift 2',
    'out=$(mktemp) || exit 1',
    'for d; do',
    '  code=0',
    '  if [ -e "$d/bin/release" ]; then "$d/bin/release" "$b" >"$out" || code=$?; else : >"$out"; fi',
    '  printf \'release %s %s\\n\' "$code" "$(wc -c < "$out")" && cat -- "$out" || exit 1',
    'done',
    'rm -f -- "$out"',
    'emit_file "$p"',
  ].join('\n');
  const { code, stdout } = await captureBytes(ctx, ['/bin/bash', '-c', script, 'paas-release', procfile, buildDir, ...bpDirs], logSink(ctx.output));
  const records = code === 0 ? parseRecords(stdout, 'bin/release') : [];
  if (records.length !== bpDirs.length + 1) throw new BuildpackStepError(`could not run bin/release (exit ${code})`);
  const last = records[records.length - 1];
  return { releases: records.slice(0, -1).map((r) => ({ code: r.code, stdout: r.body })), procfile: last.tag === 'file' ? last.body : null };
}
