/**
 * A controller on a real database for tests: SQLite in a temp dir (embedded default) or
 * a fresh database on the machine's MariaDB (production). Not a test file itself.
 */
import fs from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { NatsConnection } from 'nats';
import { createTestDatabase, type TestDatabase } from '../test/helpers/mariadb';
import { silentLogger } from '../shared';
import { ControllerClient } from './client';
import type { JoinSettings } from './join/join-service';
import { startController, type RunningController } from './start';

export const DIALECTS = ['sqlite', 'mariadb'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface TestController {
  controller: RunningController;
  admin: ControllerClient;
  system: ControllerClient;
  /** Creates a normal (non-admin) user and returns a client logged in as them. */
  user(email: string): Promise<ControllerClient>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestController(dialect: Dialect, options: { nc?: NatsConnection; rateLimitPerHour?: number; drainsCaFile?: string; join?: JoinSettings } = {}): Promise<TestController> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-ctl-'));
  const db: TestDatabase | undefined = dialect === 'mariadb' ? await createTestDatabase() : undefined;
  const start = () =>
    startController({
      dataDir,
      databaseUrl: db?.url,
      adminEmail: 'admin@example.com',
      domain: 'paas.test',
      urls: { web: (a) => `http://${a}.paas.test/`, git: (a) => `http://git.test/${a}.git` },
      port: 0,
      bindAddress: '127.0.0.1',
      log: silentLogger,
      nc: options.nc,
      rateLimitPerHour: options.rateLimitPerHour,
      drainsCaFile: options.drainsCaFile,
      join: options.join,
    });
  const t: TestController = {
    controller: await start(),
    admin: undefined as unknown as ControllerClient,
    system: undefined as unknown as ControllerClient,
    async user(email) {
      await t.admin.request('POST', '/users', { email, password: 'correct horse battery' });
      const { token } = await new ControllerClient(t.controller.url).login(email, 'correct horse battery');
      return new ControllerClient(t.controller.url, token);
    },
    async restart() {
      const token = (t.admin as unknown as { token: string }).token;
      await t.controller.close();
      t.controller = await start();
      t.admin = new ControllerClient(t.controller.url, token);
      t.system = new ControllerClient(t.controller.url, t.controller.systemToken);
    },
    async close() {
      await t.controller.close();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const { token } = await new ControllerClient(t.controller.url).login('admin@example.com', t.controller.adminPassword ?? '');
  t.admin = new ControllerClient(t.controller.url, token);
  t.system = new ControllerClient(t.controller.url, t.controller.systemToken);
  return t;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One request with full control of headers, and the full response (status, headers). */
export async function raw(baseUrl: string, method: string, urlPath: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      baseUrl + urlPath,
      {
        method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

export const tokenOf = (c: ControllerClient): string => (c as unknown as { token: string }).token;
