/**
 * Drives paas the way a user does: `paas up` as a real process (stopped with Ctrl-C,
 * i.e. SIGINT), the `paas` CLI with its own HOME, the real git client, and HTTP
 * requests through the router.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ControllerClient } from '../../controller/client';
import { freePort } from './ports';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'paas');

export interface PaasSettings {
  dataDir: string;
  apiPort: number;
  gitPort: number;
  routerPort: number;
  natsPort: number;
  registryPort: number;
  domain: string;
  extraEnv: Record<string, string>;
}

export async function newSettings(extraEnv: Record<string, string> = {}): Promise<PaasSettings> {
  return {
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'paas-data-')),
    apiPort: await freePort(),
    gitPort: await freePort(),
    routerPort: await freePort(),
    natsPort: await freePort(),
    registryPort: await freePort(),
    domain: 'paas.localhost',
    extraEnv: {
      // Apart from a paas a developer may run on the default bridge.
      PAAS_BRIDGE_NAME: 'paasa0',
      PAAS_BRIDGE_CIDR: '10.79.0.1/16',
      PAAS_STOP_GRACE_MS: '5000',
      // Process and request metrics within seconds, for the tests of paas ps and paas metrics.
      PAAS_METRICS_INTERVAL_MS: '1000',
      PAAS_ROUTER_HTTPS_PORT: String(await freePort()),
      ...extraEnv,
    },
  };
}

export interface RunningPaas {
  output: () => string;
  adminPassword?: string;
  api: string;
  /** The `paas up` process (to read its memory use). */
  pid: number;
  stop(): Promise<number | null>;
}

export async function startPaas(s: PaasSettings): Promise<RunningPaas> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'up'], {
    env: {
      ...process.env,
      PAAS_DATA_DIR: s.dataDir,
      PAAS_API_PORT: String(s.apiPort),
      PAAS_GIT_PORT: String(s.gitPort),
      PAAS_ROUTER_PORT: String(s.routerPort),
      PAAS_NATS_PORT: String(s.natsPort),
      PAAS_REGISTRY_PORT: String(s.registryPort),
      PAAS_DOMAIN: s.domain,
      PAAS_BIND_ADDRESS: '127.0.0.1',
      ...s.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  while (!out.includes('Press Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`paas up did not start (exit ${child.exitCode}).\nstdout:\n${out}\nstderr:\n${err.slice(-5000)}`);
    }
    await sleep(100);
  }
  const password = /Admin login \(shown once\): \S+ \/ (\S+)/.exec(out)?.[1];
  return {
    output: () => `${out}\n--- stderr ---\n${err}`,
    adminPassword: password,
    api: `http://127.0.0.1:${s.apiPort}`,
    pid: child.pid!,
    async stop() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Cli {
  home: string;
  /** The environment the user's commands run with (HOME, git identity, no git prompts). */
  env: NodeJS.ProcessEnv;
  paas(args: string[], cwd?: string, env?: Record<string, string>): { status: number | null; stdout: string; stderr: string };
  /**
   * The same, without blocking the test's event loop: for commands that wait on what the
   * test does meanwhile, or while the test must go on reading another process.
   */
  paasAsync(args: string[], cwd?: string): Promise<{ status: number | null; stdout: string; stderr: string }>;
  git(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string };
}

/** `paas login` as the admin that `paas up` printed (throws with the CLI's error when it fails); an API client with their token. */
export function loginAsAdmin(user: Cli, paas: Pick<RunningPaas, 'api' | 'adminPassword'>): ControllerClient {
  const login = user.paas(['login', '--api', paas.api, '--email', 'admin@paas.local'], undefined, { PAAS_PASSWORD: paas.adminPassword ?? '' });
  if (login.status !== 0) throw new Error(`paas login failed (exit ${login.status}): ${login.stderr}`);
  return new ControllerClient(paas.api, user.paas(['auth:token']).stdout.trim());
}

/** A user: their own HOME (credentials, ~/.netrc, git identity). */
export function newUser(): Cli {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-home-'));
  const env = { ...process.env, HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' };
  const run = (cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) => {
    const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 15 * 60_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  return {
    home,
    env,
    paas: (args, cwd = home, extra = {}) => run(process.execPath, [BIN, ...args], cwd, extra),
    paasAsync: (args, cwd = home) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.once('close', (status) => resolve({ status, stdout, stderr }));
      }),
    git: (args, cwd) => run('git', args, cwd),
  };
}

/** Copies a sample app from test/apps into a new git repository with one commit. */
export function sampleRepo(user: Cli, app: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `paas-src-${app}-`));
  fs.cpSync(path.join(ROOT, 'test', 'apps', app), dir, { recursive: true });
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', `${app} sample`]]) {
    const r = user.git(args, dir);
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  }
  return dir;
}

export function request(port: number, host: string, urlPath = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A new connection each time: Node's global agent keeps sockets alive, and reusing one
    // the router just closed as idle fails with ECONNRESET (a client-side race of HTTP/1.1).
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, headers: { host }, timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
