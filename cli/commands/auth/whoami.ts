import { BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Whoami extends BaseCommand {
  static override description = 'show the email of the logged in user';
  static override examples = ['$ paas auth:whoami', '$ paas auth:whoami --json'];
  static override flags = { ...jsonFlag('output as JSON (email, whether an operator, and the API)') };

  async run(): Promise<void> {
    const { flags } = await this.parse(Whoami);
    const me = await this.client().account();
    if (flags.json) return this.log(toJson({ ...me, api: process.env.PAAS_API_URL ?? this.credentials().api }));
    this.log(me.email);
  }
}
