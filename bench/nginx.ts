/**
 * A throwaway nginx (Debian's package) for benchmarks only: paas never starts nginx.
 * Everything lives in a temp dir (config, pid, temp paths, logs) and the process is
 * stopped by `stop()`. Two roles: a trivial backend (`return 200`), and the baseline
 * reverse proxy with upstream keep-alive that the router is compared with.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Nginx {
  port: number;
  /** The master's; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nginx did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function run(workers: number, server: string): Promise<Nginx> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'paas-bench-nginx-'));
  const port = await freePort();
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
  const conf = `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temps}
  ${server.replaceAll('PORT', String(port))}
}
`;
  await fs.writeFile(path.join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitForPort(port, 5_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port,
    pid: child.pid ?? 0,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** The backend every target in the bench reaches: a fixed 200 with a short body. */
export const nginxBackend = (): Promise<Nginx> =>
  run(1, `server { listen 127.0.0.1:PORT; keepalive_requests 1000000; location / { return 200 "hello\\n"; } }`);

/** nginx as a plain reverse proxy with keep-alive connections to the backend. */
export const nginxProxy = (backendPort: number, workers: number): Promise<Nginx> =>
  run(
    workers,
    `upstream app { server 127.0.0.1:${backendPort}; keepalive 256; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:PORT;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }`,
  );
