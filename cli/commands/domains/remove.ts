import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class DomainsRemove extends BaseCommand {
  static override description = 'remove a custom domain from an app';
  static override examples = ['$ paas domains:remove www.example.com -a hello'];
  static override args = { hostname: Args.string({ required: true, description: 'the host name' }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DomainsRemove);
    const app = this.resolveApp(flags);
    beginAction(`Removing ${args.hostname} from ${app}`);
    await this.client().request('DELETE', `/apps/${encodeURIComponent(app)}/domains/${encodeURIComponent(args.hostname)}`);
    endAction('done');
  }
}
