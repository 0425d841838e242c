import { BaseCommand } from '../../base';

export default class Whoami extends BaseCommand {
  static override description = 'show the email of the logged in user';
  static override examples = ['$ paas auth:whoami'];

  async run(): Promise<void> {
    const me = await this.client().account();
    this.log(me.email);
  }
}
