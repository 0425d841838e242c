/** `paas node` as its own process, with the environment given (and nothing from a config file unless it names one). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, sleep } from './paas';

const BIN = path.join(ROOT, 'bin', 'paas');

export interface NodeProcess {
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `paas node` and waits until it says it is up; rejects with its output if it exits first. */
export async function startNodeProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<NodeProcess> {
  const child = spawn(process.execPath, [BIN, 'node'], { env: { ...process.env, PAAS_CONFIG_FILE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const node: NodeProcess = {
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes('Stop it with Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await node.stop();
      throw new Error(`paas node did not start (exit ${child.exitCode}):\n${out}`);
    }
    await sleep(100);
  }
  return node;
}

/** Runs `paas node` that is expected to refuse: its exit code and output. */
export async function refusedNode(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [BIN, 'node'], { env: { ...process.env, PAAS_CONFIG_FILE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output: out };
}
