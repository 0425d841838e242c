import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class ConfigUnset extends BaseCommand {
  static override description = 'remove config vars; a new release, and the processes restart';
  static override strict = false;
  static override aliases = ['config:remove'];
  static override examples = ['$ paas config:unset RAILS_ENV -a hello'];
  static override args = { keys: Args.string({ required: true, description: 'the config vars to remove' }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ConfigUnset);
    const app = this.resolveApp(flags);
    const keys = argv as string[];
    beginAction(`Unsetting ${keys.join(', ')} and restarting ${app}`);
    await this.client().setConfig(app, Object.fromEntries(keys.map((k) => [k, null])));
    endAction('done');
  }
}
