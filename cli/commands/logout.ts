import { Command } from '@oclif/core';
import { removeCredentials } from '../credentials';

export default class Logout extends Command {
  static override description = 'forget the saved login (CLI and git)';
  static override examples = ['$ paas logout'];

  async run(): Promise<void> {
    const c = removeCredentials();
    this.log(c ? `Logged out ${c.email}` : 'You were not logged in.');
  }
}
