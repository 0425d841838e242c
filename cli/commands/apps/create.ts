import { Args, Flags } from '@oclif/core';
import crypto from 'node:crypto';
import { BaseCommand } from '../../base';
import { inGitRepo, setRemote } from '../../git';

export default class AppsCreate extends BaseCommand {
  static override description = 'create an app, and add a `paas` git remote when run in a git repository';
  static override aliases = ['create'];
  static override examples = ['$ paas apps:create hello', '$ paas apps:create --remote staging hello-staging'];
  static override args = { name: Args.string({ description: 'name of the app (lowercase letters, digits, dashes); random if omitted' }) };
  static override flags = {
    remote: Flags.string({ char: 'r', description: 'name of the git remote to add', default: 'paas' }),
    json: Flags.boolean({ description: 'output as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AppsCreate);
    const name = args.name ?? `app-${crypto.randomBytes(3).toString('hex')}`;
    process.stderr.write(`Creating ${name}... `);
    const app = await this.client().createApp(name);
    process.stderr.write('done\n');
    if (inGitRepo()) setRemote(flags.remote, app.git_url);
    if (flags.json) return this.log(JSON.stringify(app, null, 2));
    this.log(`${app.web_url} | ${app.git_url}`);
  }
}
