/**
 * The nats-server paas starts and stops itself on one machine (with JetStream, its
 * store in the data dir, listening on loopback only). In production NATS_URL points at
 * the operator's cluster instead and this is not used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { UnavailableError, type Logger } from '../shared';

export interface EmbeddedNats {
  url: string;
  stop(): Promise<void>;
}

const NATS_BINARIES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export async function startEmbeddedNats(dataDir: string, port: number, log: Logger): Promise<EmbeddedNats> {
  const binary = NATS_BINARIES.find((p) => fs.existsSync(p));
  if (!binary) throw new UnavailableError('nats-server is not installed. Install it with `apt-get install nats-server`, or set NATS_URL to an existing NATS server.');
  const dir = path.join(dataDir, 'nats');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pidFile = path.join(dir, 'nats-server.pid');
  if (stopStale(pidFile, log)) {
    for (let i = 0; i < 50 && (await portOpen(port)); i++) await sleep(100);
  }
  if (await portOpen(port)) {
    throw new UnavailableError(`Port ${port} is already in use, so paas cannot start its NATS server there. Set PAAS_NATS_PORT to a free port, or NATS_URL to use that server.`);
  }
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(dir, 'jetstream'), '-P', pidFile, '-l', path.join(dir, 'nats-server.log')], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, child);
  log.info('embedded nats-server started', { port, pid: child.pid });
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/** A nats-server left over from a paas that was killed: ours by its pid file. */
function stopStale(pidFile: string, log: Logger): boolean {
  if (!fs.existsSync(pidFile)) return false;
  let stopped = false;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  try {
    if (pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server')) {
      process.kill(pid, 'SIGTERM');
      stopped = true;
      log.info('stopped a leftover nats-server', { pid });
    }
  } catch {
    // Not running any more.
  }
  fs.rmSync(pidFile, { force: true });
  return stopped;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new UnavailableError(`nats-server exited at start (code ${child.exitCode}); see its log in the data dir.`);
    if (await portOpen(port)) return;
    await sleep(100);
  }
  throw new UnavailableError('nats-server did not start listening within 10 s.');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
