/**
 * Attached one-offs on a host (`paas run` with the user's terminal). The container starts
 * with a holder process and waits; when the controller says the user's terminal is there
 * (jobs.attach), the command runs in the container as an exec (same namespaces, cgroup,
 * limits and config as the dyno), on a pseudo-terminal or on pipes, and its bytes go over
 * the session's NATS subjects (shared/attach-protocol.ts). When the command ends, its
 * status goes back to the user and the dyno ends with it; when the user goes (hang-up or
 * silence) the command is ended, as closing a terminal does. A dyno that nobody attaches
 * to within ATTACH_WAIT_MS is ended with Heroku's R13.
 */
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { NatsConnection, Subscription } from 'nats';
import {
  ATTACH_KEEPALIVE_MS,
  ATTACH_SILENCE_MS,
  ATTACH_WAIT_MS,
  attachSubjects,
  ConflictError,
  errorMessage,
  frame,
  FromProcess,
  NotFoundError,
  parseFrame,
  subjects,
  subscribe,
  terminalSize,
  ToProcess,
  type AttachRequest,
  type Logger,
} from '../shared';
import type { ContainerInfo, EngineApi } from './types';
import { attachCommand } from './job-mapping';
import { OutputWindow } from './attach-window';

export interface AttachOptions {
  engine: EngineApi;
  nc: NatsConnection;
  hostId: string;
  log: Logger;
  /** Ends the dyno once its command has ended (or never started), `code` being the command's status. */
  end(c: ContainerInfo, code: number | null, why?: string): Promise<void>;
  waitMs?: number;
}

export interface AttachedOneOffs {
  /** An attached one-off is running and waits for its terminal from now. */
  waiting(c: ContainerInfo): void;
  stop(): void;
}

export function serveAttach(o: AttachOptions): AttachedOneOffs {
  const { engine, nc, log } = o;
  const waits = new Map<string, NodeJS.Timeout>();
  const sessions = new Map<string, AbortController>();

  const start = async (req: AttachRequest): Promise<void> => {
    const c = await engine.inspect(req.id);
    const argv = c && attachCommand(c);
    if (!c || !argv) throw new NotFoundError(`no attached one-off ${req.id} on host ${o.hostId}`, 'job_not_found');
    if (c.state !== 'running') throw new ConflictError(`${req.id} has already ended`, 'job_ended');
    if (sessions.has(req.id) || !waits.has(req.id)) throw new ConflictError(`${req.id} is already attached`, 'already_attached');
    clearTimeout(waits.get(req.id));
    waits.delete(req.id);
    const ac = new AbortController();
    sessions.set(req.id, ac);
    void runSession(c, argv, req, ac)
      .catch((err: unknown) => log.error('attached session failed', { id: req.id, err: errorMessage(err) }))
      .finally(() => sessions.delete(req.id));
  };

  const runSession = async (c: ContainerInfo, argv: string[], req: AttachRequest, ac: AbortController): Promise<void> => {
    const out = attachSubjects.fromProcess(req.session);
    const send = (type: number, payload?: Uint8Array | string): void => {
      try {
        nc.publish(out, frame(type, payload));
      } catch (err) {
        log.warn('attached output not sent', { id: c.id, err: errorMessage(err) });
      }
    };
    const flow = new OutputWindow();
    const stdin = new PassThrough();
    let terminal: { resize(size: { rows: number; cols: number }): Promise<void> } | undefined;
    let heard = Date.now();
    const input: Subscription = nc.subscribe(attachSubjects.toProcess(req.session));
    void (async () => {
      for await (const m of input) {
        heard = Date.now();
        const { type, payload } = parseFrame(m.data);
        if (type === ToProcess.Stdin) stdin.write(payload);
        else if (type === ToProcess.Eof) stdin.end();
        else if (type === ToProcess.Ack) flow.acked(Number(payload.toString()));
        else if (type === ToProcess.Hangup) ac.abort();
        else if (type === ToProcess.Resize) {
          const size = terminalSize.safeParse(safeJson(payload.toString()));
          if (size.success) void terminal?.resize(size.data);
        }
      }
    })();
    const keepalive = setInterval(() => {
      send(FromProcess.Keepalive);
      if (Date.now() - heard > ATTACH_SILENCE_MS) {
        log.info('attached one-off: the user is gone, ending it', { id: c.id });
        ac.abort();
      }
    }, ATTACH_KEEPALIVE_MS);
    const stdout = flow.writable((chunk) => send(FromProcess.Stdout, chunk));
    const stderr = flow.writable((chunk) => send(FromProcess.Stderr, chunk));
    let code: number | null = null;
    try {
      code = await engine.exec(c.id, argv, {
        tty: req.tty ?? undefined,
        stdin,
        stdout,
        stderr,
        signal: ac.signal,
        onTerminal: (t) => (terminal = t),
      });
      stdout.end();
      stderr.end();
      // Everything the command wrote goes out before its status (unless the user left).
      await Promise.race([Promise.all([finished(stdout), finished(stderr)]), aborted(ac.signal)]);
      send(FromProcess.Exit, JSON.stringify({ code }));
    } catch (err) {
      send(FromProcess.Error, JSON.stringify({ message: `The command could not run: ${errorMessage(err)}` }));
    } finally {
      clearInterval(keepalive);
      flow.close();
      input.unsubscribe();
      await nc.flush().catch(() => undefined);
      await o.end(c, code, ac.signal.aborted ? 'the terminal hung up' : undefined);
    }
  };

  const sub = subscribe(nc, subjects.jobAttach.name(o.hostId), subjects.jobAttach.schema, log, async (req, reply) => {
    try {
      await start(req);
      reply({ ok: true });
    } catch (err) {
      const e = err as { code?: string };
      reply({ error: { code: e.code ?? 'attach_failed', message: errorMessage(err) } });
    }
  });

  return {
    waiting(c) {
      if (!attachCommand(c) || waits.has(c.id) || sessions.has(c.id)) return;
      const t = setTimeout(() => {
        waits.delete(c.id);
        log.info('attached one-off: no terminal came, ending it', { id: c.id });
        void o.end(c, null, 'Error R13 (Attach error) -> Failed to attach to process').catch((err) => log.warn('could not end an unattached one-off', { id: c.id, err }));
      }, o.waitMs ?? ATTACH_WAIT_MS);
      waits.set(c.id, t);
    },
    stop() {
      sub.unsubscribe();
      for (const t of waits.values()) clearTimeout(t);
      waits.clear();
      for (const ac of sessions.values()) ac.abort();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const aborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
