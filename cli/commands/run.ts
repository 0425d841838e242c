import { Args, Flags } from '@oclif/core';
import { normalizeSize, SIZE_NAMES } from '../../controller/api/sizes';
import { appFlags, BaseCommand } from '../base';

export default class Run extends BaseCommand {
  static override description = "run a one-off process (run.NNNN) with the app's current release and config; --detach sends its output to the app's log";
  static override examples = ['$ paas run --detach "node scripts/migrate.js" -a hello', '$ paas run -d --size standard-2x --env "STEP=1;DRY=no" rake db:migrate'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'the command line to run (quote it, or pass its words)', required: true }) };
  static override flags = {
    ...appFlags,
    detach: Flags.boolean({ char: 'd', description: 'run in the background; its output goes to `paas logs`' }),
    size: Flags.string({ char: 's', description: `dyno size: ${SIZE_NAMES.join(', ')}` }),
    env: Flags.string({ char: 'e', description: 'extra environment, KEY=VALUE pairs separated by ;' }),
    json: Flags.boolean({ description: 'output the new dyno as JSON' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Run);
    const app = this.resolveApp(flags);
    const command = (argv as string[]).join(' ');
    if (!flags.detach) {
      this.error(`Interactive runs (a terminal attached to the process) are not available yet. Run it in the background instead: paas run --detach ${command}, then read its output with paas logs -a ${app}.`, { exit: 1 });
    }
    if (flags.size && !normalizeSize(flags.size)) this.error(`Unknown size ${flags.size}. Sizes: ${SIZE_NAMES.join(', ')} (see \`paas ps:type\`).`, { exit: 1 });
    const env: Record<string, string> = {};
    for (const pair of (flags.env ?? '').split(';').filter((p) => p.trim())) {
      const i = pair.indexOf('=');
      if (i < 1) this.error(`Invalid --env entry ${JSON.stringify(pair)}. Use KEY=VALUE pairs separated by ;, like --env "STEP=1;DRY=no".`, { exit: 1 });
      env[pair.slice(0, i).trim()] = pair.slice(i + 1);
    }
    process.stderr.write(`Running ${command} on ${app}... `);
    const dyno = await this.client().runDetached(app, command, { ...(flags.size ? { size: flags.size } : {}), ...(flags.env ? { env } : {}) });
    process.stderr.write(`up, ${dyno.name}\n`);
    if (flags.json) return this.log(JSON.stringify(dyno, null, 2));
    this.log(`Run \`paas logs -a ${app} --ps ${dyno.name}\` to see its output, \`paas ps:stop ${dyno.name} -a ${app}\` to stop it.`);
  }
}
