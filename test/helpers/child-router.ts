/**
 * A router (createProxyServer) in a child process with one app, for tests that count the
 * router's own file descriptors and memory (T6, T7): in the test's own process they would
 * be mixed with the clients'. Any uncaught error or unhandled rejection kills the child
 * with its stack on stderr, so a test can assert that nothing went unhandled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProxyOptions } from '../../router/proxy';

export interface ChildRouter {
  port: number;
  child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Open file descriptors of the router process now. */
  fds(): number;
  /** The router's memory (process.memoryUsage()) right after a full garbage collection in it. */
  memoryAfterGc(): Promise<NodeJS.MemoryUsage>;
  kill(): void;
}

export async function startChildRouter(host: string, backendPort: number, options: Omit<ProxyOptions, 'hardening' | 'httpsRedirect'> & { timeouts?: object } = {}): Promise<ChildRouter> {
  const dist = path.resolve(__dirname, '..', '..');
  const { timeouts, ...rest } = options;
  const proxyOptions = { ...rest, hardening: { timeouts: timeouts ?? {}, logSink: '@sink' } };
  const script = `
    process.on('uncaughtException', (e) => { process.stderr.write('UNCAUGHT ' + e.stack + '\\n'); process.exit(70); });
    process.on('unhandledRejection', (e) => { process.stderr.write('UNHANDLED ' + e + '\\n'); process.exit(71); });
    process.on('message', () => { global.gc(); process.send(process.memoryUsage()); }); // memoryAfterGc()
    const { createProxyServer } = require(${JSON.stringify(`${dist}/router/proxy`)});
    const { RouteTable } = require(${JSON.stringify(`${dist}/router/table`)});
    const { silentLogger } = require(${JSON.stringify(`${dist}/shared`)});
    const t = new RouteTable();
    t.set({ app: 'app', domains: [${JSON.stringify(host)}], backends: [{ id: 'j1', ip: '127.0.0.1', port: ${backendPort}, dyno: 'web.1' }] });
    const options = ${JSON.stringify(proxyOptions)};
    options.hardening.logSink = () => undefined; // router log lines are built, then dropped
    const s = createProxyServer(t, silentLogger, options);
    s.listen(0, '127.0.0.1', () => process.stdout.write(s.address().port + '\\n'));`;
  const child = spawn(process.execPath, ['--expose-gc', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
    child.once('exit', (code) => reject(new Error(`router child exited ${code}: ${stderr}`)));
  });
  return {
    port,
    child,
    stderr: () => stderr,
    fds: () => fs.readdirSync(`/proc/${child.pid}/fd`).length,
    memoryAfterGc: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as NodeJS.MemoryUsage));
        child.send('gc');
      }),
    kill: () => void child.kill(),
  };
}
