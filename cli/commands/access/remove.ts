import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class AccessRemove extends BaseCommand {
  static override description = "remove a collaborator's access to an app (owner only)";
  static override examples = ['$ paas access:remove bob@example.com -a hello'];
  static override args = { email: Args.string({ required: true, description: "the user's email" }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AccessRemove);
    const app = this.resolveApp(flags);
    beginAction(`Removing ${args.email} access to ${app}`);
    await this.client().request('DELETE', `/apps/${encodeURIComponent(app)}/collaborators/${encodeURIComponent(args.email)}`);
    endAction('done');
  }
}
