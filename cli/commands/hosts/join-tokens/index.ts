import { BaseCommand } from '../../../base';
import { jsonFlag, toJson } from '../../../json-output';

export default class HostsJoinTokens extends BaseCommand {
  static override description = 'list the join tokens for new hosts: id, state, expiry, uses; never their secrets (operators)';
  static override examples = ['$ paas hosts:join-tokens', '$ paas hosts:join-tokens --json'];
  static override flags = { ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(HostsJoinTokens);
    const tokens = await this.client().joinTokens();
    if (flags.json) return this.log(toJson(tokens));
    if (tokens.length === 0) return this.log('No join tokens. Make one with: paas hosts:join-token');
    this.table(
      tokens.map((t) => ({ id: t.id, state: t.state, expires: t.expires_at, uses: t.uses, 'last used': t.last_used_at ?? 'never', 'created by': t.created_by ?? '?' })),
      ['id', 'state', 'expires', 'uses', 'last used', 'created by'],
    );
  }
}
