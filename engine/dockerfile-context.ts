/**
 * The build context: resolves COPY/ADD sources (with globs) to files inside the context
 * directory, refusing anything that would reach outside it (`../`, absolute symlinks,
 * symlinked directories pointing elsewhere), and hashes what would be copied (names,
 * types, modes, contents) for the step cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { DockerfileError } from './errors';

export interface ContextSource {
  /** Path relative to the context, as matched (posix). */
  rel: string;
  /** The real path on disk: inside the context, symlinks of the source itself followed. */
  abs: string;
  /** The name the source keeps when copied into a directory. */
  name: string;
  isDir: boolean;
}

const GLOB_CHARS = /[*?[]/;

/** Go's filepath.Match for one path segment: `*`, `?`, `[a-z]`, `[^…]`, `\` escapes. */
export function globSegmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < segment.length) re += `\\${segment[++i]}`;
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) throw new DockerfileError(`bad glob pattern: ${segment}`);
      const body = segment.slice(i + 1, end).replace(/^\^/, '!').replace(/\\/g, '\\\\');
      re += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The pattern as a clean path relative to the context, or a DockerfileError if it leaves it. */
export function contextRelative(pattern: string): string {
  const clean = posix.normalize(`./${pattern}`).replace(/^\/+/, '');
  if (clean === '..' || clean.startsWith('../')) throw new DockerfileError(`forbidden path outside the build context: ${pattern}`);
  return clean === '.' ? '' : clean.replace(/\/$/, '');
}

async function insideContext(realContext: string, abs: string, shown: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    throw new DockerfileError(`no such file or directory in the build context: ${shown}`);
  }
  if (real !== realContext && !real.startsWith(`${realContext}/`)) {
    throw new DockerfileError(`forbidden path outside the build context: ${shown} (a symlink to ${real})`);
  }
  return real;
}

async function filterExisting(root: string, rels: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const rel of rels) if (await lstat(join(root, rel)).catch(() => undefined)) out.push(rel);
  return out;
}

/** Expands the patterns (globs per segment) to the sources they name; none is an error. */
export async function resolveSources(contextDir: string, patterns: string[]): Promise<ContextSource[]> {
  const realContext = await realpath(contextDir);
  const out: ContextSource[] = [];
  for (const pattern of patterns) {
    const rel = contextRelative(pattern);
    let matches = [''];
    for (const seg of rel === '' ? [] : rel.split('/')) {
      const next: string[] = [];
      for (const dir of matches) {
        if (!GLOB_CHARS.test(seg)) {
          next.push(dir ? `${dir}/${seg}` : seg);
          continue;
        }
        const real = await insideContext(realContext, join(realContext, dir), dir || '.');
        if (!(await stat(real)).isDirectory()) continue;
        const re = globSegmentRegExp(seg);
        for (const name of (await readdir(real)).sort()) if (re.test(name)) next.push(dir ? `${dir}/${name}` : name);
      }
      matches = next;
    }
    // A glob may match names under which the rest of the pattern does not exist.
    if (GLOB_CHARS.test(rel)) matches = await filterExisting(realContext, matches);
    if (matches.length === 0) throw new DockerfileError(`no source files were specified by ${pattern}`);
    for (const m of matches) {
      const abs = await insideContext(realContext, join(realContext, m), m || '.');
      out.push({ rel: m, abs, name: m === '' ? basename(realContext) : basename(m), isDir: (await stat(abs)).isDirectory() });
    }
  }
  return out;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Hashes a tree without following symlinks below the top (they are copied as links). */
async function hashTree(h: ReturnType<typeof createHash>, abs: string, rel: string, top: boolean): Promise<void> {
  const st = top ? await stat(abs) : await lstat(abs);
  const kind = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
  let detail = '';
  if (kind === 'f') detail = await hashFile(abs);
  else if (kind === 'l') detail = await readlink(abs);
  h.update(`${rel}\0${kind}\0${(st.mode & 0o7777).toString(8)}\0${detail}\n`);
  if (kind === 'd') for (const name of (await readdir(abs)).sort()) await hashTree(h, join(abs, name), `${rel}/${name}`, false);
}

/** A digest of everything the sources would copy: any changed name, mode or byte changes it. */
export async function hashSources(sources: readonly ContextSource[]): Promise<string> {
  const h = createHash('sha256');
  for (const s of sources) await hashTree(h, s.abs, s.rel, true);
  return h.digest('hex');
}
