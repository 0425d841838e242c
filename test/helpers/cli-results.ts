/** Assertions on what a CLI run (Cli.paas / Cli.paasAsync) ended with. */
import assert from 'node:assert/strict';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The command succeeded (its stderr is the message when it did not); returns the run. */
export function ok<R extends CliResult>(r: R): R {
  assert.equal(r.status, 0, r.stderr);
  return r;
}

/** The command failed and said `message` (oclif wraps long errors over several ` ›   ` lines). */
export function fails(r: Pick<CliResult, 'status' | 'stderr'>, message: RegExp): void {
  assert.notEqual(r.status, 0, 'the command should fail');
  assert.match(r.stderr.replace(/\s*\n\s*›\s*/g, ' '), message);
}
