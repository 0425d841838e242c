/**
 * One attached one-off, seen from the controller: the user's WebSocket on one side, the
 * session's two NATS subjects to the host on the other (shared/attach-protocol.ts). It
 * waits until the scheduler has the dyno running, asks its host to start the command, then
 * passes bytes both ways: binary WebSocket frames are the terminal's bytes (output frames
 * start with 1 for stdout, 2 for stderr), text frames JSON (resize and eof from the user;
 * state, exit and error to the user). Output is acknowledged to the host as the socket
 * takes it, so a slow terminal slows the process instead of filling this server.
 */
import crypto from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { WebSocket } from 'ws';
import {
  ATTACH_KEEPALIVE_MS,
  ATTACH_SILENCE_MS,
  ATTACH_WAIT_MS,
  attachSubjects,
  errorMessage,
  frame,
  FromProcess,
  parseFrame,
  request,
  subjects,
  terminalSize,
  ToProcess,
  type AttachControl,
  type AttachStatus,
  type Logger,
  type TerminalSize,
} from '../../shared';
import { Job, OneOffRequestRow } from '../models';

export interface RelayOptions {
  nc: NatsConnection;
  log: Logger;
  /** The one-off's job id (its OneOffRequestRow's id) and name. */
  jobId: string;
  dyno: string;
  tty: TerminalSize | null;
  /** How long the dyno may take to be placed and start (default ATTACH_WAIT_MS). */
  waitMs?: number;
}

/** Acknowledge delivered output in steps of this much (or whenever the socket is drained). */
const ACK_STEP_BYTES = 32 * 1024;

export async function relayAttach(ws: WebSocket, o: RelayOptions): Promise<void> {
  const status = (s: AttachStatus): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(s));
  };
  const fail = (message: string): void => {
    status({ type: 'error', message });
    ws.close(1011, 'attach failed');
  };
  let closed = false;
  ws.once('close', () => (closed = true));

  status({ type: 'state', state: 'starting' });
  const job = await waitForJob(o, () => closed).catch((err: unknown) => {
    fail(errorMessage(err));
    return undefined;
  });
  if (!job || closed) return;
  status({ type: 'state', state: 'up' });

  const session = crypto.randomBytes(16).toString('hex');
  const toProcess = attachSubjects.toProcess(session);
  const send = (type: number, payload?: Uint8Array | string): void => {
    if (!o.nc.isClosed()) o.nc.publish(toProcess, frame(type, payload));
  };
  const output = o.nc.subscribe(attachSubjects.fromProcess(session));
  let heard = Date.now();
  let delivered = 0;
  let acked = 0;
  let ended = false;
  const ack = (): void => {
    if (delivered - acked >= ACK_STEP_BYTES || (ws.bufferedAmount === 0 && delivered > acked)) {
      acked = delivered;
      send(ToProcess.Ack, String(delivered));
    }
  };
  const end = (): void => {
    ended = true;
    output.unsubscribe();
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return send(ToProcess.Stdin, data);
    let control: AttachControl | undefined;
    try {
      control = JSON.parse(data.toString()) as AttachControl;
    } catch {
      return;
    }
    if (control.type === 'eof') send(ToProcess.Eof);
    else if (control.type === 'resize') {
      const size = terminalSize.safeParse({ rows: control.rows, cols: control.cols });
      if (size.success) send(ToProcess.Resize, JSON.stringify(size.data));
    }
  });
  ws.once('close', () => {
    // The user left (closed the terminal, Ctrl-C on the CLI, lost the network): end the command.
    if (!ended) send(ToProcess.Hangup);
    end();
  });
  const keepalive = setInterval(() => {
    send(ToProcess.Keepalive);
    if (Date.now() - heard > ATTACH_SILENCE_MS) {
      fail(`Lost contact with the host running ${o.dyno}. See \`paas ps\` and \`paas logs --ps ${o.dyno}\`.`);
      end();
    }
  }, ATTACH_KEEPALIVE_MS);

  try {
    await request(o.nc, subjects.jobAttach.name(job.hostId), { id: o.jobId, session, tty: o.tty }, 15_000);
  } catch (err) {
    clearInterval(keepalive);
    end();
    fail(`${o.dyno} could not be attached: ${errorMessage(err)}`);
    return;
  }
  o.log.info('attached', { job: o.jobId, host: job.hostId, tty: o.tty !== null });

  try {
    for await (const m of output) {
      heard = Date.now();
      const { type, payload } = parseFrame(m.data);
      if (type === FromProcess.Stdout || type === FromProcess.Stderr) {
        if (ws.readyState !== ws.OPEN) continue;
        const n = payload.length;
        ws.send(Buffer.concat([Buffer.from([type]), payload]), { binary: true }, (err) => {
          if (err) return;
          delivered += n;
          ack();
        });
      } else if (type === FromProcess.Exit) {
        const { code } = JSON.parse(payload.toString()) as { code: number };
        status({ type: 'exit', code });
        end();
        ws.close(1000, 'exited');
      } else if (type === FromProcess.Error) {
        end();
        fail((JSON.parse(payload.toString()) as { message: string }).message);
      }
    }
  } finally {
    clearInterval(keepalive);
  }
}

/** The dyno's job once its host runs it; why not, as an Error a user can act on. */
async function waitForJob(o: RelayOptions, gone: () => boolean): Promise<Job & { hostId: string }> {
  const deadline = Date.now() + (o.waitMs ?? ATTACH_WAIT_MS);
  for (;;) {
    if (gone()) throw new Error('the terminal left');
    const job = await Job.findByPk(o.jobId);
    if (job && job.state === 'up' && job.hostId) return job as Job & { hostId: string };
    if (job && (job.state === 'crashed' || job.state === 'down')) throw new Error(`${o.dyno} ended before its command started${job.reason ? `: ${job.reason}` : ''}.`);
    if (!job && !(await OneOffRequestRow.findByPk(o.jobId))) throw new Error(`${o.dyno} is gone (stopped, or it ended). Start another with \`paas run\`.`);
    if (Date.now() > deadline) {
      throw new Error(`Timeout awaiting ${o.dyno}: no host started it within ${Math.round((o.waitMs ?? ATTACH_WAIT_MS) / 1000)} s. See \`paas ps\`, \`paas hosts\` and \`paas logs --ps ${o.dyno}\`.`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
