import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Config extends BaseCommand {
  static override description = 'show the config vars of an app';
  static override examples = ['$ paas config -a hello', '$ paas config --shell'];
  static override flags = {
    ...appFlags,
    ...jsonFlag(),
    shell: Flags.boolean({ char: 's', description: 'output as KEY=value lines' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Config);
    const app = this.resolveApp(flags);
    const config = await this.client().config(app);
    if (flags.json) return this.log(toJson(config));
    const keys = Object.keys(config).sort();
    if (flags.shell) return keys.forEach((k) => this.log(`${k}=${config[k]}`));
    this.log(`=== ${app} Config Vars`);
    const width = Math.max(0, ...keys.map((k) => k.length + 1));
    for (const k of keys) this.log(`${`${k}:`.padEnd(width)} ${config[k]}`);
  }
}
