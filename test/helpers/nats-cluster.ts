/**
 * A cluster of three nats-servers with JetStream on loopback (Debian's nats-server),
 * each with its own store, for tests of paas on a NATS cluster: one server can be
 * stopped and started again while the others carry on. `address` puts them on another
 * address of this machine (a LAN bridge's, for hosts in network namespaces), `dir`
 * their stores and logs in a given directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export interface NatsClusterServer {
  name: string;
  clientUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  servers: NatsClusterServer[];
  /** All client URLs, comma-separated (NATS_URL for a cluster). */
  url: string;
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  address?: string;
  dir?: string;
}

const portOpen = (address: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(port, address);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export async function startNatsCluster(size = 3, options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const address = options.address ?? '127.0.0.1';
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'paas-nats-cluster-'));
  fs.mkdirSync(dir, { recursive: true });
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), cluster: await freePort() })));
  const routes = ports.map((p) => `nats://${address}:${p.cluster}`).join(',');
  const servers = ports.map((p, i): NatsClusterServer => {
    const name = `n${i + 1}`;
    let child: ChildProcess | undefined;
    let exited: Promise<void> = Promise.resolve();
    const server: NatsClusterServer = {
      name,
      clientUrl: `nats://${address}:${p.client}`,
      async start() {
        const store = path.join(dir, name);
        fs.mkdirSync(store, { recursive: true });
        child = spawn('nats-server', ['-n', name, '-a', address, '-p', String(p.client), '-js', '-sd', store, '--cluster_name', 'paas-test', '--cluster', `nats://${address}:${p.cluster}`, '--routes', routes, '-l', path.join(dir, `${name}.log`)], { stdio: 'ignore' });
        const c = child;
        exited = new Promise((resolve) => c.once('exit', () => resolve()));
        for (let k = 0; k < 100 && !(await portOpen(address, p.client)); k++) await new Promise((r) => setTimeout(r, 100));
      },
      async stop() {
        child?.kill('SIGTERM');
        await exited;
        child = undefined;
      },
    };
    return server;
  });
  await Promise.all(servers.map((s) => s.start()));
  return {
    servers,
    url: servers.map((s) => s.clientUrl).join(','),
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
