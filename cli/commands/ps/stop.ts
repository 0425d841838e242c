import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class PsStop extends BaseCommand {
  static override description = 'stop one dyno: a formation dyno is replaced by a fresh one, a one-off (run.NNNN) ends';
  static override examples = ['$ paas ps:stop web.2 -a hello', '$ paas ps:stop run.4821'];
  static override args = { dyno: Args.string({ description: 'the dyno to stop (web.2, run.4821), from `paas ps`', required: true }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(PsStop);
    const app = this.resolveApp(flags);
    beginAction(`Stopping ${args.dyno} on ${app}`);
    await this.client().stopDyno(app, args.dyno);
    endAction('done');
  }
}
