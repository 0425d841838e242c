import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class DrainsAdd extends BaseCommand {
  static override description = "forward an app's log lines to a syslog server (syslog+tls://, or unencrypted syslog://) or an HTTPS endpoint";
  static override examples = ['$ paas drains:add syslog+tls://logs.example.com:6514 -a hello', '$ paas drains:add https://user:secret@logs.example.com/drain -a hello', '$ paas drains:add syslog://10.0.0.5:514 --json'];
  static override args = { url: Args.string({ required: true, description: 'syslog+tls://HOST:PORT, syslog://HOST:PORT or https://HOST/PATH' }) };
  static override flags = { ...appFlags, ...jsonFlag('output the new drain (with its token) as JSON') };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DrainsAdd);
    const app = this.resolveApp(flags);
    const drain = await this.client().addLogDrain(app, args.url);
    if (flags.json) return this.log(toJson(drain));
    this.log(`Successfully added drain ${drain.url}`);
    this.log(`Lines logged from now on are forwarded, with ${drain.token} as the syslog host name. See paas drains -a ${app}.`);
  }
}
