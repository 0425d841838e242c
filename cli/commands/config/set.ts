import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class ConfigSet extends BaseCommand {
  static override description = 'set config vars; each change is a new release and the processes restart';
  static override strict = false;
  static override examples = ['$ paas config:set RAILS_ENV=staging -a hello', '$ paas config:set "GREETING=hello world" SECRET="$(cat key.pem)"'];
  static override args = { vars: Args.string({ description: 'KEY=value pairs', required: true }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ConfigSet);
    const app = this.resolveApp(flags);
    const changes: Record<string, string> = {};
    for (const pair of argv as string[]) {
      const i = pair.indexOf('=');
      if (i <= 0) this.error(`${pair} is invalid. Use KEY=value (the value may contain = and spaces).`, { exit: 1 });
      changes[pair.slice(0, i)] = pair.slice(i + 1);
    }
    process.stderr.write(`Setting ${Object.keys(changes).join(', ')} and restarting ${app}... `);
    await this.client().setConfig(app, changes);
    const releases = await this.client().releases(app);
    process.stderr.write(`done, v${releases[0]?.version ?? '?'}\n`);
    for (const [k, v] of Object.entries(changes)) this.log(`${k}: ${v}`);
  }
}
