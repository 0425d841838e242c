import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class DrainsRemove extends BaseCommand {
  static override description = 'stop forwarding an app\'s log lines to a drain';
  static override examples = ['$ paas drains:remove syslog+tls://logs.example.com:6514 -a hello', '$ paas drains:remove d.2b9e0f4c-1d2e-4f5a-8b6c-7d8e9f0a1b2c -a hello'];
  static override args = { drain: Args.string({ required: true, description: "the drain's URL or token (d.…)" }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DrainsRemove);
    const app = this.resolveApp(flags);
    const drain = await this.client().removeLogDrain(app, args.drain);
    this.log(`Successfully removed drain ${drain.url}`);
  }
}
