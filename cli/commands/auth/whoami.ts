import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base';

export default class Whoami extends BaseCommand {
  static override description = 'show the email of the logged in user';
  static override examples = ['$ paas auth:whoami', '$ paas auth:whoami --json'];
  static override flags = { json: Flags.boolean({ description: 'output as JSON (email, whether an operator, and the API)' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Whoami);
    const me = await this.client().account();
    if (flags.json) return this.log(JSON.stringify({ ...me, api: process.env.PAAS_API_URL ?? this.credentials().api }, null, 2));
    this.log(me.email);
  }
}
