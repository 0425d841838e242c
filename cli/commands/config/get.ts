import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class ConfigGet extends BaseCommand {
  static override description = 'print the value of one config var (empty when unset)';
  static override examples = ['$ paas config:get DATABASE_URL -a hello'];
  static override args = { key: Args.string({ required: true, description: 'the config var' }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigGet);
    const config = await this.client().config(this.resolveApp(flags));
    this.log(config[args.key] ?? '');
  }
}
