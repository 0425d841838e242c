/**
 * exec: another process in a running container (the runtime's `exec`: same namespaces,
 * cgroup, capabilities, seccomp and no_new_privs as the container's own process).
 *
 * With a TTY the runtime allocates a pseudo-terminal in the container, but in the
 * foreground it insists that its own stdio is a terminal, and Node has no pty. So the
 * runtime runs under util-linux `script`, which gives it one and copies bytes between
 * that terminal and our pipes; `script -e` passes the exit code on. The terminal size is
 * set on script's terminal before the runtime starts, which copies it to the container's.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { coalesce, InvalidInputError } from '../shared';
import type { ContainerExecOptions } from './types';
import type { ContainerManager } from './containers';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The parts of an OCI process spec exec changes; the rest is the container's own. */
export interface OciProcess {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  [key: string]: unknown;
}

/**
 * The exec'd process: the container's process spec (capabilities, rlimits, no_new_privs
 * all as the container has them) with this argv, environment, user and directory. With a
 * TTY its size goes in the spec, so the runtime sets it before the process runs (set
 * later, a quick `stty size` could still see 0 0).
 */
export function execProcess(base: OciProcess, argv: string[], o: Pick<ContainerExecOptions, 'env' | 'user' | 'cwd'>, tty?: { rows: number; cols: number }): OciProcess {
  if (argv.length === 0) throw new InvalidInputError('exec needs a command');
  if (o.cwd !== undefined && !o.cwd.startsWith('/')) throw new InvalidInputError(`exec cwd must be absolute: ${o.cwd}`);
  const env = new Map(base.env.map((e) => [e.slice(0, e.indexOf('=')), e] as const));
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!ENV_KEY.test(k)) throw new InvalidInputError(`invalid environment variable name: ${k}`);
    env.set(k, `${k}=${v}`);
  }
  const p: OciProcess = { ...base, args: argv, env: [...env.values()], cwd: o.cwd ?? base.cwd, terminal: tty !== undefined };
  if (o.user) p.user = { uid: o.user.uid, gid: o.user.gid, additionalGids: [o.user.gid] };
  delete p.consoleSize;
  if (tty) p.consoleSize = { height: tty.rows, width: tty.cols };
  return p;
}

/**
 * The `script` invocation that gives the runtime a terminal of the given size. The
 * terminal's name goes to `ttyNameFile`: a resize sets that terminal's size, the kernel
 * sends the runtime SIGWINCH, and the runtime copies the size to the container's.
 */
export function ttyWrapper(runtimePath: string, args: string[], size: { rows: number; cols: number }, ttyNameFile: string): string[] {
  // The runtime copies its own terminal's size to the container's: make them agree.
  const command = `stty rows ${size.rows} cols ${size.cols} 2>/dev/null; tty > ${shellQuote(ttyNameFile)}; exec ${[runtimePath, ...args].map(shellQuote).join(' ')}`;
  return ['-q', '-e', '-E', 'never', '-c', command, '/dev/null'];
}

/** Sets a terminal's size from outside (the kernel then signals its foreground process). */
function setTerminalSize(ttyNameFile: string, size: { rows: number; cols: number }): Promise<void> {
  return readFile(ttyNameFile, 'utf8').then(
    (name) =>
      new Promise<void>((resolve) => {
        const tty = name.trim();
        if (!/^\/dev\/pts\/\d+$/.test(tty)) return resolve();
        const child = spawn('stty', ['-F', tty, 'rows', String(size.rows), 'cols', String(size.cols)], { stdio: 'ignore' });
        child.once('error', () => resolve());
        child.once('close', () => resolve());
      }),
    () => undefined, // not written yet: the process has not started; its size is the one asked at start
  );
}

/**
 * Resizes in the order they came, the last one winning. A window dragged, or `stty rows R
 * cols C` (two ioctls, two SIGWINCHs), sends several sizes at once; each is an `stty`
 * process, and two of them running together may finish in either order, leaving the
 * terminal at a size the user left behind. One at a time, and each run applies the latest.
 */
function terminalResizer(ttyNameFile: string, initial: { rows: number; cols: number }): { resize(size: { rows: number; cols: number }): Promise<void> } {
  let latest = initial;
  const apply = coalesce(() => setTerminalSize(ttyNameFile, latest), { onError: () => undefined /* setTerminalSize never fails */ });
  return {
    resize: (next) => {
      latest = clampSize(next);
      return apply.run();
    },
  };
}

const clampSize = (size: { rows: number; cols: number }): { rows: number; cols: number } => ({
  rows: Math.min(1000, Math.max(1, Math.floor(size.rows))),
  cols: Math.min(1000, Math.max(1, Math.floor(size.cols))),
});

export async function execInContainer(manager: ContainerManager, id: string, argv: string[], o: ContainerExecOptions): Promise<number> {
  manager.running(id);
  const rt = manager.d.runtime;
  const size = o.tty ? (typeof o.tty === 'object' ? o.tty : { rows: 24, cols: 80 }) : undefined;
  const tty = size && clampSize(size);
  const config = JSON.parse(await readFile(join(manager.d.paths.bundle(id), 'config.json'), 'utf8')) as { process: OciProcess };
  const base = join(manager.d.paths.dir(id), `exec-${randomBytes(6).toString('hex')}`);
  const specFile = `${base}.json`;
  const ttyNameFile = `${base}.tty`;
  await writeFile(specFile, JSON.stringify(execProcess(config.process, argv, o, tty)));
  if (tty) o.onTerminal?.(terminalResizer(ttyNameFile, tty));
  try {
    return await runExec(rt.path, rt.args('exec', '--process', specFile, id), o, tty && { size: tty, nameFile: ttyNameFile });
  } finally {
    await Promise.all([rm(specFile, { force: true }), rm(ttyNameFile, { force: true })]);
  }
}

async function runExec(
  runtimePath: string,
  args: string[],
  o: ContainerExecOptions,
  tty: { size: { rows: number; cols: number }; nameFile: string } | undefined,
): Promise<number> {
  // Own process group: an abort signals the runtime (which passes it to the process) and script together.
  const child = tty
    ? spawn('script', ttyWrapper(runtimePath, args, tty.size, tty.nameFile), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' }, detached: true })
    : spawn(runtimePath, args, { stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const stderr = o.stderr ?? o.stdout;
  // Piped: a reader that cannot keep up (an attached terminal far away) pauses the process's output.
  child.stdout!.pipe(o.stdout, { end: false });
  child.stderr!.pipe(stderr, { end: false });
  if (child.stdin) {
    child.stdin.on('error', () => undefined);
    // On a terminal, end of input is a byte (Ctrl-D) the caller sends; closing script's
    // stdin would make it type one of its own. Without a terminal, EOF is passed on.
    if (o.stdin) o.stdin.pipe(child.stdin, { end: !tty });
  }
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      if (child.pid) process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    signalGroup('SIGTERM');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), 2000);
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => resolve(code ?? 128 + (sig ? constants.signals[sig] : 9)));
    });
  } finally {
    if (killTimer) clearTimeout(killTimer);
    o.signal?.removeEventListener('abort', onAbort);
    if (o.stdin && child.stdin) o.stdin.unpipe(child.stdin);
    child.stdin?.destroy();
  }
}
