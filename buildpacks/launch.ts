/** How a process type starts in the final image: Heroku's dyno start, through bash. */

/** $0 of the launch script: what `ps` in the container shows for it, and how it is recognised. */
const LAUNCHER_NAME = 'paas-launch';

/**
 * The argv for a Procfile command. Like a Heroku dyno: cwd and HOME are the app dir,
 * `.profile.d/*.sh` then `.profile` are sourced (buildpacks put PATH etc. there), and the
 * command is run by bash so pipes, `&&` and `VAR=x cmd` work as in the Procfile. The command
 * is passed as an argument, never spliced into the script, and the inner `bash -c` of a
 * simple command execs it directly, so the app (not a shell) receives SIGTERM.
 */
export function launchCommand(command: string, appDir = '/app'): string[] {
  if (command.trim() === '') throw new Error('launchCommand: the command is empty');
  const dir = shellQuote(appDir);
  const script = [
    `cd ${dir} || exit 1`,
    `export HOME=${dir}`,
    `for __paas_profile in ${dir}/.profile.d/*.sh; do if [ -r "$__paas_profile" ]; then . "$__paas_profile"; fi; done`,
    'unset __paas_profile',
    `if [ -r ${dir}/.profile ]; then . ${dir}/.profile; fi`,
    'exec /bin/bash -c "$1"',
  ].join('\n');
  return ['/bin/bash', '-c', script, LAUNCHER_NAME, command];
}

/** The Procfile command an argv from launchCommand runs (what a user wrote), else undefined. */
export function launchedCommand(argv: readonly string[] | undefined): string | undefined {
  if (argv?.length !== 5 || argv[0] !== '/bin/bash' || argv[1] !== '-c' || argv[3] !== LAUNCHER_NAME) return undefined;
  return argv[4];
}

/** Single-quotes a string for bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
