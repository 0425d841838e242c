/**
 * A private MariaDB server (Debian's mariadbd) in a throw-away data dir, on its own
 * loopback port, for tests that stop and restart the database (T13): the machine's shared
 * server at 3306 must keep serving everything else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './ports';

export interface MariadbServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: a clean shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startMariadbServer(): Promise<MariadbServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-mariadb-'));
  const data = path.join(dir, 'data');
  const init = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=root'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const log = fs.openSync(path.join(dir, 'server.log'), 'a');
    child = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${path.join(dir, 'sock')}`, '--user=root', `--pid-file=${path.join(dir, 'pid')}`], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    const c = child;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
        await conn.end();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`mariadbd did not accept connections: ${(err as Error).message}`, { cause: err });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const stop = async (): Promise<void> => {
    child?.kill('SIGTERM');
    await exited;
    child = undefined;
  };
  await start();
  const conn = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
  await conn.query('CREATE DATABASE paas');
  await conn.end();
  return {
    url: `mysql://root@127.0.0.1:${port}/paas`,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
