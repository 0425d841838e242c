import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class AuthTokens extends BaseCommand {
  static override description = 'list your API tokens, create one (--create) or revoke one (--revoke ID)';
  static override examples = ['$ paas auth:tokens', '$ paas auth:tokens --create "deploys from CI"', '$ paas auth:tokens --revoke 7'];
  static override args = { description: Args.string({ description: 'description of a new token (with --create)' }) };
  static override flags = {
    create: Flags.boolean({ description: 'create a token; its secret is printed once' }),
    revoke: Flags.integer({ description: 'revoke the token with this id' }),
    ...jsonFlag(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AuthTokens);
    const client = this.client();
    if (flags.create) {
      const t = await client.request<{ id: number; token: string }>('POST', '/account/tokens', { description: args.description });
      return this.log(flags.json ? toJson(t) : `Token ${t.id} (shown only now): ${t.token}`);
    }
    if (flags.revoke !== undefined) {
      await client.request('DELETE', `/account/tokens/${flags.revoke}`);
      return this.log(`Revoked token ${flags.revoke}.`);
    }
    const list = await client.request<{ id: number; description: string; created_at: string }[]>('GET', '/account/tokens');
    if (flags.json) return this.log(toJson(list));
    this.table(list.map((t) => ({ id: t.id, description: t.description, created: t.created_at })), ['id', 'description', 'created']);
  }
}
