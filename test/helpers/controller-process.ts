/**
 * The controller as its own process (dist/controller/main.js), for tests that must not
 * share an event loop with it (the CLI tests run `paas` synchronously) or that kill it.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const CONTROLLER_MAIN = path.resolve(__dirname, '..', '..', 'controller', 'main.js');

export interface ControllerProcess {
  info: { url: string; adminPassword: string | null };
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export function startControllerProcess(env: Record<string, string>): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [CONTROLLER_MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ info: JSON.parse(out.split('\n')[0]) as ControllerProcess['info'], exited, kill: (s = 'SIGKILL') => child.kill(s) });
    });
    void exited.then((code) => reject(new Error(`controller exited (${code}) before it was up: ${err}`)));
  });
}
