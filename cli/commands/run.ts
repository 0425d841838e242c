import { Args, Flags } from '@oclif/core';
import { normalizeSize, SIZE_NAMES } from '../../controller/api/sizes';
import { attachTerminal } from '../attach-terminal';
import { appFlags, BaseCommand } from '../base';
import { jsonFlag, toJson } from '../json-output';
import { beginAction, endAction } from '../action-line';

export default class Run extends BaseCommand {
  static override description = [
    "run a one-off process (run.NNNN) with the app's current release and config.",
    'Attached by default: your terminal becomes the process\'s (raw keys, window size), and its exit status becomes this command\'s.',
    'Without a terminal (a pipe or a script) stdin is passed on and stdout and stderr stay apart. --detach sends the output to `paas logs` instead.',
  ].join('\n');
  static override examples = [
    '$ paas run bash -a hello',
    '$ paas run "node scripts/migrate.js" -a hello && echo migrated',
    '$ echo "select 1" | paas run --no-tty "psql $DATABASE_URL"',
    '$ paas run --detach "node scripts/migrate.js" -a hello',
    '$ paas run -d --size standard-2x --env "STEP=1;DRY=no" rake db:migrate',
  ];
  static override strict = false;
  static override args = { command: Args.string({ description: 'the command line to run (quote it, or pass its words)', required: true }) };
  static override flags = {
    ...appFlags,
    detach: Flags.boolean({ char: 'd', description: 'run in the background; its output goes to `paas logs`' }),
    'no-tty': Flags.boolean({ description: 'no terminal even when this is one: pipes, stdout and stderr apart' }),
    size: Flags.string({ char: 's', description: `dyno size: ${SIZE_NAMES.join(', ')}` }),
    env: Flags.string({ char: 'e', description: 'extra environment, KEY=VALUE pairs separated by ;' }),
    ...jsonFlag('with --detach: output the new dyno as JSON'),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Run);
    const app = this.resolveApp(flags);
    const command = (argv as string[]).join(' ');
    if (flags.size && !normalizeSize(flags.size)) this.error(`Unknown size ${flags.size}. Sizes: ${SIZE_NAMES.join(', ')} (see \`paas ps:type\`).`, { exit: 1 });
    const env: Record<string, string> = {};
    for (const pair of (flags.env ?? '').split(';').filter((p) => p.trim())) {
      const i = pair.indexOf('=');
      if (i < 1) this.error(`Invalid --env entry ${JSON.stringify(pair)}. Use KEY=VALUE pairs separated by ;, like --env "STEP=1;DRY=no".`, { exit: 1 });
      env[pair.slice(0, i).trim()] = pair.slice(i + 1);
    }
    const options = { ...(flags.size ? { size: flags.size } : {}), ...(flags.env ? { env } : {}) };
    const client = this.client();
    if (flags.detach) {
      beginAction(`Running ${command} on ${app}`);
      const dyno = await client.runDetached(app, command, options);
      endAction(`up, ${dyno.name}`);
      if (flags.json) return this.log(toJson(dyno));
      this.log(`Run \`paas logs -a ${app} --ps ${dyno.name}\` to see its output, \`paas ps:stop ${dyno.name} -a ${app}\` to stop it.`);
      return;
    }
    if (flags.json) this.error('--json describes the dyno a detached run starts: use it with --detach.', { exit: 1 });
    const tty = !flags['no-tty'] && Boolean(process.stdin.isTTY && process.stdout.isTTY);
    beginAction(`Running ${command} on ${app}`);
    const dyno = await client.runAttached(app, command, options);
    const size = tty ? { rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 } : null;
    const { url, headers } = client.attachUrl(dyno, size);
    let said = false;
    const result = await attachTerminal(url, headers, tty, process, {
      onState: (state) => {
        if (state !== 'up' || said) return;
        said = true;
        endAction(`up, ${dyno.name}${dyno.size ? ` (${dyno.size})` : ''}`);
      },
    });
    if (!said) endAction('failed');
    if ('error' in result) this.error(result.error, { exit: 1 });
    // The remote command's status is ours, as ssh does.
    if (result.code !== 0) this.exit(result.code);
  }
}
