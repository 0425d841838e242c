/**
 * Debian's docker-registry (the CNCF distribution registry v2, /usr/bin/docker-registry)
 * as a real external registry for tests: a free loopback port, its own config and storage
 * in `dir`, and the `auth:` section the test gives (htpasswd or token). Its access log
 * (stdout, combined log format) is kept so tests can count what crossed the wire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePort } from './ports';
import { eventually } from './paas';

export interface DockerRegistry {
  url: string;
  /** The access log's request lines so far: "GET /v2/team/app/blobs/sha256:… 200". */
  requests(): string[];
  stop(): Promise<void>;
}

/**
 * `auth` is the config's auth section as YAML lines (indented under `auth:`), or none for
 * an open registry. A `port` (and the same `dir`) restarts a registry with what it stored.
 */
export async function startDockerRegistry(dir: string, auth: string[] = [], port?: number): Promise<DockerRegistry> {
  port ??= await freePort();
  const config = path.join(dir, 'config.yml');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...(auth.length ? ['auth:', ...auth.map((l) => `  ${l}`)] : []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (errors += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const answers = (): Promise<boolean | undefined> =>
    new Promise((resolve) => {
      http.get(`${url}/v2/`, (res) => (res.resume(), resolve(true))).on('error', () => resolve(undefined));
    });
  try {
    await eventually('docker-registry to listen', async () => (child.exitCode !== null ? false : answers()), 20_000);
    if (child.exitCode !== null) throw new Error('exited');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`docker-registry did not start (${err instanceof Error ? err.message : String(err)}): ${errors.slice(-2000)}`, { cause: err });
  }
  return {
    url,
    requests: () =>
      log
        .split('\n')
        .map((l) => /"(\w+) (\S+) HTTP\/[\d.]+" (\d+)/.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => `${m[1]} ${m[2]} ${m[3]}`),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
