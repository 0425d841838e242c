import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';
import { beginAction, endAction } from '../../action-line';

export default class DomainsAdd extends BaseCommand {
  static override description = 'add a custom domain (exact, or a *.wildcard) to an app';
  static override examples = ['$ paas domains:add www.example.com -a hello', "$ paas domains:add '*.example.com'", '$ paas domains:add www.example.com --json'];
  static override args = { hostname: Args.string({ required: true, description: 'the host name' }) };
  static override flags = { ...appFlags, ...jsonFlag('output the new domain as JSON') };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DomainsAdd);
    const app = this.resolveApp(flags);
    beginAction(`Adding ${args.hostname} to ${app}`);
    const domain = await this.client().request('POST', `/apps/${encodeURIComponent(app)}/domains`, { hostname: args.hostname });
    endAction('done');
    if (flags.json) return this.log(toJson(domain));
    this.log(`Point ${args.hostname}'s DNS at this paas's router.`);
  }
}
