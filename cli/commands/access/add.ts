import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class AccessAdd extends BaseCommand {
  static override description = 'give a user access to an app as a collaborator (owner only)';
  static override examples = ['$ paas access:add bob@example.com -a hello'];
  static override args = { email: Args.string({ required: true, description: "the user's email" }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AccessAdd);
    const app = this.resolveApp(flags);
    beginAction(`Adding ${args.email} access to ${app}`);
    await this.client().request('POST', `/apps/${encodeURIComponent(app)}/collaborators`, { user: args.email });
    endAction('done');
  }
}
