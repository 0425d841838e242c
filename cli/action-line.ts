/**
 * Heroku's one-line progress on stderr: `Scaling dynos... done, now running web at 2`.
 * A failure between the two halves ends the line with `!` first (BaseCommand.catch), so
 * the error stands on a line of its own, as Heroku prints it:
 *
 *   Scaling dynos... !
 *    ▸    This app has no process types yet: push code with a Procfile first.
 */
let open = false;

/** Writes `text... ` and leaves the line open for its outcome. */
export function beginAction(text: string): void {
  process.stderr.write(`${text}... `);
  open = true;
}

/** Ends the open line with its outcome (`done`, `done, v5`, `up, run.1234`). */
export function endAction(outcome: string): void {
  process.stderr.write(`${outcome}\n`);
  open = false;
}

/** Ends a line that a failure interrupted with `mark` (nothing when no line is open). */
export function interruptAction(mark: string): void {
  if (open) endAction(mark);
}
