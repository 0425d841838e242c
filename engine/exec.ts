/**
 * Runs system tools (runc, ip, iptables, tar, mount, …) without a shell, so no argument
 * is ever interpreted; failures become CommandFailedError with the tool's stderr.
 */
import { spawn } from 'node:child_process';
import { CommandFailedError } from './errors';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  timeoutMs?: number;
  /** Called for every complete line of stdout and stderr (progress streaming). */
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs and returns the result whatever the exit code. A spawn refused with ETXTBSY is
 * tried again: opening a file for writing bumps its write count before the mount's
 * read-only check refuses it, so a container hammering open(O_WRONLY) on the runtime's
 * binary (as the CVE-2019-5736 attack does, through a read-only bind) makes an exec of
 * that binary on the host fail for an instant. Nothing ran, so a retry is safe.
 */
export async function execRaw(cmd: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await execOnce(cmd, args, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ETXTBSY' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt));
    }
  }
}

function execOnce(cmd: string, args: string[], options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    const pending: Record<'out' | 'err', string> = { out: '', err: '' };
    const feed = (which: 'out' | 'err', chunk: string): void => {
      if (!options.onLine) return;
      const parts = (pending[which] + chunk).split('\n');
      pending[which] = parts.pop() ?? '';
      for (const line of parts) options.onLine(line);
    };
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      feed('out', c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      feed('err', c);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      if (options.onLine) for (const rest of [pending.out, pending.err]) if (rest) options.onLine(rest);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs and throws CommandFailedError unless the tool exits 0; returns stdout. */
export async function exec(cmd: string, args: string[], options: ExecOptions = {}): Promise<string> {
  const r = await execRaw(cmd, args, options);
  if (r.code !== 0) throw new CommandFailedError(`${cmd} ${args.join(' ')}`, r.code, r.stderr || r.stdout);
  return r.stdout;
}
