/**
 * A BuildpackExecutor that runs steps directly on this host. For tests and development only:
 * production runs steps inside the build container, where app code cannot see the host.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { BuildpackExecutor } from './types';

export function createHostExecutor(baseEnv: Record<string, string | undefined> = defaultBaseEnv()): BuildpackExecutor {
  return {
    exec(argv, options) {
      return new Promise((resolve) => {
        let settled = false;
        const settle = (code: number) => {
          if (!settled) {
            settled = true;
            resolve(code);
          }
        };
        const child = spawn(argv[0], argv.slice(1), {
          env: { ...baseEnv, ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => options.stdout?.write(chunk));
        child.stderr.on('data', (chunk: Buffer) => options.stderr?.write(chunk));
        // Like a shell: a program that cannot be started is exit 127, not an exception.
        child.on('error', (err) => {
          options.stderr?.write(`${argv[0]}: ${err.message}\n`);
          settle(127);
        });
        child.on('close', (code, signal) => {
          settle(code ?? 128 + (signal ? constants.signals[signal] : 0));
        });
      });
    },
  };
}

function defaultBaseEnv(): Record<string, string | undefined> {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, LANG: 'C.UTF-8' };
}
