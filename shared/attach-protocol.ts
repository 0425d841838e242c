/**
 * An attached one-off (`paas run`) as bytes between the host that runs it and the
 * controller the CLI is connected to: two NATS subjects per session, one each way, each
 * message one frame (a type byte, then the payload). One publisher per subject and
 * direction, so NATS keeps the frames in order.
 *
 * Flow control is the receiver's: the controller acknowledges the output bytes it has
 * handed to the CLI's socket, and the host stops reading the process's output while more
 * than ATTACH_WINDOW_BYTES are unacknowledged, so a `cat` of a large file is paced by the
 * slowest link instead of piling up in memory. Both sides send a keepalive every
 * ATTACH_KEEPALIVE_MS; a side that hears nothing for ATTACH_SILENCE_MS hangs up (a lost
 * CLI ends its process, as closing a terminal does).
 */
import { z } from 'zod';

export const ATTACH_WINDOW_BYTES = 256 * 1024;
export const ATTACH_KEEPALIVE_MS = 5_000;
export const ATTACH_SILENCE_MS = 30_000;
/** How long an attached one-off waits for its terminal before it is ended (Heroku's R13). */
export const ATTACH_WAIT_MS = 60_000;

/** controller → host */
export const ToProcess = {
  Stdin: 0,
  /** JSON {rows, cols} */
  Resize: 1,
  /** End of input (without a terminal; on one, Ctrl-D is a byte like any other). */
  Eof: 2,
  /** The number of output bytes handed on so far, as a decimal string. */
  Ack: 3,
  Keepalive: 4,
  /** The user left: end the process. */
  Hangup: 5,
} as const;

/** host → controller */
export const FromProcess = {
  Stdout: 1,
  Stderr: 2,
  /** JSON {code}: the process ended with this status; the last frame. */
  Exit: 3,
  Keepalive: 4,
  /** JSON {message}: the session could not go on; the last frame. */
  Error: 5,
} as const;

export const attachSubjects = {
  toProcess: (session: string) => `paas.attach.${session}.in`,
  fromProcess: (session: string) => `paas.attach.${session}.out`,
};

export const terminalSize = z.object({ rows: z.number().int().min(1).max(1000), cols: z.number().int().min(1).max(1000) });
export type TerminalSize = z.infer<typeof terminalSize>;

/** The controller asks the host that runs an attached one-off to start its command. */
export const attachRequest = z.object({
  id: z.string(),
  /** Random, unguessable: it names the session's two subjects. */
  session: z.string().regex(/^[a-f0-9]{32}$/),
  /** A terminal of this size, or plain pipes (stdout and stderr apart) when null. */
  tty: terminalSize.nullable(),
});
export type AttachRequest = z.infer<typeof attachRequest>;

export function frame(type: number, payload?: Uint8Array | string): Uint8Array {
  const body = payload === undefined ? new Uint8Array(0) : typeof payload === 'string' ? Buffer.from(payload) : payload;
  const out = new Uint8Array(body.length + 1);
  out[0] = type;
  out.set(body, 1);
  return out;
}

export function parseFrame(data: Uint8Array): { type: number; payload: Buffer } {
  return { type: data[0] ?? -1, payload: Buffer.from(data.buffer, data.byteOffset + 1, Math.max(0, data.length - 1)) };
}

/** The WebSocket between the CLI and the controller: binary frames are bytes, text frames JSON. */
export type AttachControl =
  | { type: 'resize'; rows: number; cols: number }
  | { type: 'eof' };
export type AttachStatus =
  | { type: 'state'; state: 'starting' | 'up' }
  | { type: 'exit'; code: number }
  | { type: 'error'; message: string };
