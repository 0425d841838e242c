/**
 * `paas run`'s end of an attached one-off: this terminal becomes the process's. On a
 * terminal, stdin goes raw (Ctrl-C, Ctrl-D and arrow keys are the remote process's, as
 * in ssh), the window size goes along at start and on every resize, and the output is one
 * stream. Without a terminal (a pipe, a script) stdin is passed until its end, and the
 * process's stdout and stderr stay apart. The remote command's exit status is returned,
 * to become the CLI's own.
 */
import WebSocket from 'ws';
import type { AttachControl, AttachStatus } from '../shared';

export interface TerminalIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface AttachHandlers {
  /** The dyno's state while it is placed and started (for the "Running … up, run.N" line). */
  onState?(state: 'starting' | 'up'): void;
}

/** What the attach ended with: the command's status, or why there was none. */
export type AttachResult = { code: number } | { error: string };

export function attachTerminal(url: string, headers: Record<string, string>, tty: boolean, io: TerminalIo, h: AttachHandlers = {}): Promise<AttachResult> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false });
    let result: AttachResult | undefined;
    let raw = false;
    let started = false;

    const control = (c: AttachControl): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(c));
    };
    const onInput = (chunk: Buffer): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk, { binary: true });
    };
    const onEnd = (): void => control({ type: 'eof' });
    const onResize = (): void => control({ type: 'resize', rows: io.stdout.rows, cols: io.stdout.columns });
    // Without a terminal, Ctrl-C is the CLI's: hang up, which ends the remote command.
    const onSigint = (): void => {
      result ??= { code: 130 };
      ws.close(1000, 'interrupted');
    };

    const startInput = (): void => {
      if (started) return;
      started = true;
      if (tty && io.stdin.isTTY) {
        io.stdin.setRawMode(true);
        raw = true;
      }
      io.stdin.on('data', onInput);
      if (!tty) io.stdin.once('end', onEnd);
      io.stdin.resume();
      if (tty) io.stdout.on('resize', onResize);
    };
    const stopInput = (): void => {
      io.stdin.off('data', onInput);
      io.stdin.off('end', onEnd);
      io.stdout.off('resize', onResize);
      process.off('SIGINT', onSigint);
      if (raw) io.stdin.setRawMode(false);
      io.stdin.pause();
    };
    if (!tty) process.on('SIGINT', onSigint);

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const out = data[0] === 2 ? io.stderr : io.stdout;
        // A terminal slower than the process: stop reading until it caught up (the
        // controller then stops acknowledging, and the host stops reading the process).
        if (!out.write(data.subarray(1))) {
          ws.pause();
          out.once('drain', () => ws.resume());
        }
        return;
      }
      let s: AttachStatus;
      try {
        s = JSON.parse(data.toString()) as AttachStatus;
      } catch {
        return;
      }
      if (s.type === 'state') {
        h.onState?.(s.state);
        if (s.state === 'up') startInput();
      } else if (s.type === 'exit') result ??= { code: s.code };
      else if (s.type === 'error') result ??= { error: s.message };
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let message = `The API refused the terminal (HTTP ${res.statusCode}).`;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? message;
        } catch {
          // not the API's JSON
        }
        result ??= { error: message };
        ws.terminate();
      });
    });
    ws.on('error', (err) => {
      result ??= { error: `Could not reach the API for the terminal: ${err.message}` };
    });
    ws.on('close', () => {
      stopInput();
      resolve(result ?? { error: 'The connection to the process was lost before it ended. See `paas ps` and `paas logs`.' });
    });
  });
}
