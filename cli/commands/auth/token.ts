import { BaseCommand } from '../../base';

export default class AuthToken extends BaseCommand {
  static override description = 'print the API token of the current login (for scripts; keep it secret)';
  static override examples = ['$ curl -H "Authorization: Bearer $(paas auth:token)" http://127.0.0.1:5000/apps'];

  async run(): Promise<void> {
    this.log(this.credentials().token);
  }
}
