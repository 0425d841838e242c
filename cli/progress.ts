/**
 * Progress of a long wait. On a terminal, oclif's spinner with the latest status. For
 * scripts and pipes, a line each time the status changes, then the outcome line: oclif's
 * plain action writes a second status without a newline, so the next line ran into it
 * (`… web 2/2 upWaiting for the processes... done`), and a log reader lost the outcome.
 */
import { ux } from '@oclif/core';

export interface Progress {
  status(text: string): void;
  stop(outcome: string): void;
}

export function startProgress(action: string, out: NodeJS.WritableStream = process.stderr): Progress {
  if (ux.action.type === 'spinner') {
    ux.action.start(action);
    return { status: (text) => (ux.action.status = text), stop: (outcome) => ux.action.stop(outcome) };
  }
  let last: string | undefined;
  return {
    status(text) {
      if (text === last) return;
      last = text;
      out.write(`${action}... ${text}\n`);
    },
    stop: (outcome) => out.write(`${action}... ${outcome}\n`),
  };
}
