/**
 * Heroku's guard on what cannot be undone: `--confirm NAME`, or, on a terminal, NAME typed
 * at a prompt. Without a terminal there is no one to ask, so the command fails and says
 * which flag to pass: a script must name what it destroys.
 */
import { createInterface } from 'node:readline/promises';
import { Errors } from '@oclif/core';

export interface Confirmation {
  /** The value of --confirm, if given. */
  given: string | undefined;
  /** What must be given or typed: the app's name. */
  expected: string;
  /** What happens, one sentence: "This destroys hello and cannot be undone." */
  warning: string;
  /** The command line that proceeds without asking, --confirm included. */
  rerun: string;
}

/** Resolves when confirmed; otherwise fails the command (exit 1) with what to do. */
export async function confirmDestructive(c: Confirmation): Promise<void> {
  if (c.given !== undefined) {
    if (c.given !== c.expected) Errors.error(`Confirmation ${c.given} did not match ${c.expected}. Aborted. To proceed, run: ${c.rerun}`, { exit: 1 });
    return;
  }
  if (!process.stdin.isTTY || !process.stderr.isTTY) Errors.error(`${c.warning} To proceed, run: ${c.rerun}`, { exit: 1 });
  process.stderr.write(` ▸    WARNING: ${c.warning}\n ▸    To proceed, type ${c.expected} or re-run this command with --confirm ${c.expected}\n\n`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-D answers nothing rather than leaving the question open.
  const typed = await new Promise<string>((resolve) => {
    rl.once('close', () => resolve(''));
    void rl.question('> ').then(resolve, () => resolve(''));
  });
  rl.close();
  if (typed.trim() !== c.expected) Errors.error(`Confirmation did not match ${c.expected}. Aborted.`, { exit: 1 });
}
