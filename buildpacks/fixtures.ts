/** Helpers for the buildpack tests (not a test file itself: node --test skips this name). */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { createHostExecutor } from './host-executor';
import type { BuildpackExecutor } from './types';

/** The repo root, found from either buildpacks/ or dist/buildpacks/. */
export const repoRoot = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'test', 'apps'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repo root from ' + __dirname);
    dir = parent;
  }
  return dir;
})();

export function tempDir(t: { after(fn: () => void): void }, prefix = 'paas-bp-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** build/cache/env dirs under root; build starts as a copy of test/apps/<app> when given. */
export function buildDirs(root: string, app?: string): { buildDir: string; cacheDir: string; envDir: string } {
  const dirs = { buildDir: path.join(root, 'build'), cacheDir: path.join(root, 'cache'), envDir: path.join(root, 'env') };
  if (app) fs.cpSync(path.join(repoRoot, 'test', 'apps', app), dirs.buildDir, { recursive: true });
  else fs.mkdirSync(dirs.buildDir, { recursive: true });
  fs.mkdirSync(dirs.cacheDir, { recursive: true });
  fs.mkdirSync(dirs.envDir);
  return dirs;
}

/** Writes a buildpack whose bin/* are the given bash bodies (after `set -euo pipefail`). */
export function makeBuildpack(
  root: string,
  name: string,
  scripts: { detect?: string; compile?: string; release?: string },
): { name: string; dir: string } {
  const dir = path.join(root, 'buildpacks', name);
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  for (const [step, body] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, 'bin', step), `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`, { mode: 0o755 });
  }
  return { name, dir };
}

/** A build log that remembers everything written and fails the test if anyone ends it. */
export class LogCapture extends Writable {
  private readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The host executor with the environment a build container would give: no host HOME or CA vars. */
export function containerLikeExecutor(home: string): BuildpackExecutor {
  fs.mkdirSync(home, { recursive: true });
  return createHostExecutor({ HOME: home, LANG: 'C.UTF-8' });
}

/**
 * A PATH holding only the tools of the bookworm minbase stack (+ curl), as symlinks: a
 * buildpack that quietly relied on the host's node or python would fail here as in production.
 */
export function stackPath(root: string): string {
  const tools = [
    'bash', 'sh', 'env', 'curl', 'tar', 'gzip', 'sed', 'grep', 'mktemp', 'cp', 'mv', 'rm', 'mkdir', 'rmdir',
    'dirname', 'basename', 'cat', 'chmod', 'ln', 'ls', 'touch', 'head', 'tail', 'tr', 'uname', 'date', 'sort',
    'sha512sum', 'sha1sum', 'readlink', 'realpath', 'id', 'true', 'false', 'test', 'printf', 'echo', 'perl', 'find', 'wc',
  ];
  const bin = path.join(root, 'stack-bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  return bin;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts argv with PORT set, waits for `ready` on its stdout, and stops it when the test ends. */
export async function startServer(
  t: { after(fn: () => void): void },
  argv: string[],
  options: { cwd: string; ready: RegExp; env?: Record<string, string> },
): Promise<{ url: string; log: () => string }> {
  const port = await freePort();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: { PATH: '/usr/bin:/bin', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${log}`)), 10_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (options.ready.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${log}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, log: () => log };
}

/**
 * A registry in front of registry.npmjs.org that records every path asked for, so a test
 * can prove that a build downloaded nothing.
 */
export async function recordingRegistry(t: { after(fn: () => void): void }): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    fetch(`https://registry.npmjs.org${req.url}`, { headers: { accept: req.headers.accept ?? '*/*' } })
      .then(async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        res.writeHead(upstream.status, {
          'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream',
          'content-length': body.length,
        });
        res.end(body);
      })
      .catch((err: unknown) => {
        res.writeHead(502);
        res.end(String(err));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests };
}
