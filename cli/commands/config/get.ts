import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class ConfigGet extends BaseCommand {
  static override description = 'print the value of one config var (empty when unset)';
  static override examples = ['$ paas config:get DATABASE_URL -a hello', '$ paas config:get DATABASE_URL --json   # {"DATABASE_URL": "..."}, {} when unset'];
  static override args = { key: Args.string({ required: true, description: 'the config var' }) };
  static override flags = { ...appFlags, ...jsonFlag('output as JSON: the var and its value, as in `paas config --json`, {} when unset') };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConfigGet);
    const config = await this.client().config(this.resolveApp(flags));
    const value = config[args.key];
    if (flags.json) return this.log(toJson(value === undefined ? {} : { [args.key]: value }));
    this.log(value ?? '');
  }
}
