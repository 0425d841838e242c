import { createInterface } from 'node:readline';

export interface Prompt {
  /** The next line typed (or piped) after the question, trimmed; undefined when the input ended first. */
  ask(question: string, hidden?: boolean): Promise<string | undefined>;
  close(): void;
}

/**
 * Questions on stderr, answers from stdin, through ONE readline for all of them: with
 * piped input (`printf 'me@x\nsecret\n' | paas login`) the first read takes every line at
 * once, so a readline per question would drop the later answers. Lines that arrive before
 * their question are queued for it.
 */
export function openPrompt(): Prompt {
  const tty = Boolean(process.stdin.isTTY);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: tty });
  const queued: string[] = [];
  let waiting: ((line: string | undefined) => void) | undefined;
  let ended = false;
  rl.on('line', (line) => {
    const take = waiting;
    waiting = undefined;
    if (take) take(line);
    else queued.push(line);
  });
  rl.on('close', () => {
    ended = true;
    waiting?.(undefined);
    waiting = undefined;
  });

  // On a terminal, a hidden answer (a password) is not echoed: only the question is written.
  let hiddenQuestion: string | undefined;
  const output = rl as unknown as { _writeToOutput: (s: string) => void };
  const write = output._writeToOutput.bind(rl);
  output._writeToOutput = (s: string) => {
    if (hiddenQuestion === undefined || s.includes(hiddenQuestion)) write(s);
  };

  return {
    async ask(question, hidden = false) {
      hiddenQuestion = hidden && tty ? question : undefined;
      rl.setPrompt(question);
      rl.prompt();
      const line = queued.length > 0 ? queued.shift() : ended ? undefined : await new Promise<string | undefined>((resolve) => (waiting = resolve));
      if (hiddenQuestion !== undefined) process.stderr.write('\n');
      hiddenQuestion = undefined;
      return line?.trim();
    },
    close: () => rl.close(),
  };
}
