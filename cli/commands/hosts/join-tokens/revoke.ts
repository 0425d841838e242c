import { Args } from '@oclif/core';
import { BaseCommand } from '../../../base';
import { beginAction, endAction } from '../../../action-line';

export default class HostsJoinTokensRevoke extends BaseCommand {
  static override description = 'revoke a join token: no machine can join with it any more; hosts that joined stay (operators)';
  static override examples = ['$ paas hosts:join-tokens:revoke 1a2b3c4d'];
  static override args = { id: Args.string({ description: 'the token id (from `paas hosts:join-tokens`) or the token itself', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(HostsJoinTokensRevoke);
    // Given the token itself, only its id goes over the wire.
    const id = /^pjt_([0-9a-f]{8})_/.exec(args.id)?.[1] ?? args.id;
    beginAction(`Revoking join token ${id}`);
    const t = await this.client().revokeJoinToken(id);
    endAction('done');
    this.log(`Join token ${t.id} no longer admits hosts. Make a new one with: paas hosts:join-token`);
  }
}
