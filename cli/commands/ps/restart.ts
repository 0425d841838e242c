import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class PsRestart extends BaseCommand {
  static override description = 'restart dynos: all of them, every dyno of a type (web), or one (web.2); web restarts roll, new before old';
  static override examples = ['$ paas ps:restart -a hello', '$ paas ps:restart web', '$ paas ps:restart web.2'];
  static override args = { dyno: Args.string({ description: 'a dyno (web.2) or a process type (web); all dynos if omitted' }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PsRestart);
    const app = this.resolveApp(flags);
    const what = args.dyno ? (args.dyno.includes('.') ? `dyno ${args.dyno}` : `${args.dyno} dynos`) : 'all dynos';
    beginAction(`Restarting ${what} on ${app}`);
    await this.client().restartDynos(app, args.dyno);
    endAction('done');
    process.stderr.write(`Follow it with \`paas ps -a ${app}\`.\n`);
  }
}
