/**
 * The README's quickstart as the test reads it, and a shell that types its lines the way
 * a user does: bash, the user's HOME, `paas` on the PATH, the directory a `cd` left.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './paas';

/** The lines of the README's fenced block marked ```sh quickstart, comment lines left out. */
export function quickstartLines(readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')): string[] {
  const block = /^```sh quickstart\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no ```sh quickstart block');
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

/** A line as typed, without its explaining comment (` # ...`; no quickstart command contains one). */
export const commandOf = (line: string): string => line.replace(/\s+#\s.*$/, '').trim();

export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class UserShell {
  private readonly env: NodeJS.ProcessEnv;

  /** env: the user's (HOME first); cwd: where they start, as `cd` moves them. */
  constructor(env: NodeJS.ProcessEnv, public cwd: string) {
    // `paas` as `npm link` installs it: bin/paas on the PATH.
    const bin = path.join(env.HOME ?? os.homedir(), '.local', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.rmSync(path.join(bin, 'paas'), { force: true });
    fs.symlinkSync(path.join(ROOT, 'bin', 'paas'), path.join(bin, 'paas'));
    this.env = { ...env, PATH: `${bin}:${env.PATH ?? ''}` };
  }

  /** Runs one line in bash, with `input` typed at its prompts; the next line starts where this one's `cd` went. */
  run(line: string, input = '', timeoutMs = 10 * 60_000): Promise<ShellResult> {
    const pwdFile = path.join(os.tmpdir(), `paas-quickstart-pwd-${process.pid}`);
    const script = `${line}\n__status=$?\npwd > '${pwdFile}'\nexit $__status\n`;
    return new Promise((resolve) => {
      const child = spawn('bash', ['-c', script], { cwd: this.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('close', (status) => {
        clearTimeout(timer);
        if (fs.existsSync(pwdFile)) {
          this.cwd = fs.readFileSync(pwdFile, 'utf8').trim();
          fs.rmSync(pwdFile);
        }
        resolve({ status, stdout, stderr });
      });
      child.stdin.end(input);
    });
  }
}
