/**
 * The platform's own lines about a process, in the app's log stream as Heroku writes
 * them (`heroku[web.1]: State changed from starting to up`): published on the app's log
 * subject with source 'paas', so `paas logs` interleaves them with the app's output.
 */
import type { Logger } from '../shared';
import type { LogShipper } from './log-shipper';
import { launchedCommand } from '../buildpacks/launch';
import { jobLogLine } from './job-mapping';
import type { ContainerInfo } from './types';

/** What a log line calls a state; a one-off that ended is 'complete', as on Heroku. */
export type StateWord = 'starting' | 'up' | 'crashed' | 'down' | 'complete';

export const lines = {
  starting: (cmd: string[] | undefined): string => `Starting process with command \`${commandText(cmd)}\``,
  stateChanged: (from: StateWord, to: StateWord): string => `State changed from ${from} to ${to}`,
  exited: (code: number | null | undefined): string =>
    code === null || code === undefined ? 'Process exited (status unknown)' : `Process exited with status ${code}`,
  stopping: (): string => 'Stopping all processes with SIGTERM',
  exitTimeout: (graceMs: number): string =>
    `Error R12 (Exit timeout): at least one process failed to exit within ${Math.round(graceMs / 1000)} seconds of SIGTERM`,
  killing: (): string => 'Stopping remaining processes with SIGKILL',
  killingNow: (): string => 'Stopping process with SIGKILL',
  oom: (): string => OOM_REASON,
};

/** RELIABILITY T17's wording, also JobInfo.reason of an OOM-killed job. */
export const OOM_REASON = 'Error R15 (Memory quota vastly exceeded): killed due to lack of available memory';

/**
 * The command as a user would type it: a buildpack process's Procfile command (not the
 * launcher around it, as Heroku shows `npm start`), bash -c's script as is, other argv joined.
 */
export function commandText(cmd: string[] | undefined): string {
  if (!cmd || cmd.length === 0) return '(the image\'s command)';
  const launched = launchedCommand(cmd);
  if (launched !== undefined) return launched;
  if (cmd.length === 3 && /(^|\/)(ba)?sh$/.test(cmd[0]!) && cmd[1] === '-c') return cmd[2]!;
  return cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

export type PaasLineSink = (c: ContainerInfo, line: string, stream?: 'stdout' | 'stderr') => void;

/**
 * A sink through the host's log shipper, which also carries the processes' own output:
 * a process's last lines and the line saying it exited stay in order. Never throws (a
 * lost state line must not break a stop).
 */
export function shippedPaasLines(shipper: LogShipper, hostId: string, log: Logger): PaasLineSink {
  return (c, line, stream = 'stdout') => {
    try {
      shipper.ship(c.id, jobLogLine(c, hostId, 'paas', stream, new Date().toISOString(), line));
    } catch (err) {
      log.debug('state line not shipped', { id: c.id, line, err });
    }
  };
}
