/**
 * A running container's output as byte streams: attach(), one-shot runs, build steps.
 * conmon writes the output to the container's log; this reads it back as it is written
 * (logs-tail.ts) and turns records into the bytes the process wrote (a partial record
 * has no newline of its own), stdout and stderr apart. Ends once the container has
 * stopped and its last output is read.
 */
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { AttachOptions } from './types';
import type { ContainerManager } from './containers';
import type { LogRecord } from './logs-format';
import { followRecords, LogTail } from './logs-tail';

export interface OutputSinks {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

function bytesOf(r: LogRecord): Buffer {
  return r.partial ? r.content : Buffer.concat([r.content, Buffer.from('\n')]);
}

/** Copies the container's output from `from` until it stops (or `signal` aborts). */
export async function pumpOutput(
  manager: ContainerManager,
  id: string,
  sinks: OutputSinks,
  from: 'start' | 'current' | 'end',
  signal?: AbortSignal,
): Promise<void> {
  const tail = await LogTail.open(manager.d.paths, id, from);
  try {
    const stopped = manager.wait(id).catch(() => undefined);
    for await (const r of followRecords(tail, () => manager.records.get(id)?.state !== 'running', signal, stopped)) {
      (r.stream === 'stderr' ? sinks.stderr : sinks.stdout)(bytesOf(r));
    }
  } finally {
    await tail.close();
  }
}

const toWritable = (w: Writable) => (chunk: Buffer): void => {
  w.write(chunk);
};

/** attach(): the kept output (follow false), or the output from now until the container stops. */
export async function attachOutput(manager: ContainerManager, id: string, o: AttachOptions): Promise<void> {
  manager.running(id);
  const sinks = { stdout: toWritable(o.stdout), stderr: toWritable(o.stderr ?? o.stdout) };
  if (o.follow) {
    await pumpOutput(manager, id, sinks, 'end', o.signal);
    return;
  }
  const tail = await LogTail.open(manager.d.paths, id, 'start');
  try {
    for (const r of await tail.read()) (r.stream === 'stderr' ? sinks.stderr : sinks.stdout)(bytesOf(r));
  } finally {
    await tail.close();
  }
}

/** What a build step sees of its container: like a child process with piped stdout and stderr. */
export interface AttachedChild extends EventEmitter {
  readonly stdout: Readable;
  readonly stderr: Readable;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

class MonitoredOutput extends EventEmitter implements AttachedChild {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
}

/** Starts pumping the container's output (from its first line) into a child-like object. */
export async function attachedChild(manager: ContainerManager, id: string): Promise<AttachedChild> {
  const child = new MonitoredOutput();
  const sinks = { stdout: (c: Buffer) => void child.stdout.write(c), stderr: (c: Buffer) => void child.stderr.write(c) };
  const finish = (err?: unknown): void => {
    child.stdout.end();
    child.stderr.end();
    setImmediate(() => {
      if (err) child.emit('error', err instanceof Error ? err : new Error(String(err)));
      const code = manager.records.get(id)?.exitCode;
      child.emit('close', code ?? null, code === undefined || code === null ? 'SIGKILL' : null);
    });
  };
  pumpOutput(manager, id, sinks, 'current').then(() => finish(), finish);
  return child;
}
