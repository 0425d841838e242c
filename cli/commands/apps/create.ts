import { Args, Flags, ux } from '@oclif/core';
import crypto from 'node:crypto';
import { BaseCommand } from '../../base';
import { inGitRepo, setRemote } from '../../git';
import { jsonFlag, toJson } from '../../json-output';

export default class AppsCreate extends BaseCommand {
  static override description = 'create an app, and add a `paas` git remote when run in a git repository';
  static override aliases = ['create'];
  static override examples = ['$ paas apps:create hello', '$ paas apps:create --remote staging hello-staging'];
  static override args = { name: Args.string({ description: 'name of the app (lowercase letters, digits, dashes); random if omitted' }) };
  static override flags = {
    remote: Flags.string({ char: 'r', description: 'name of the git remote to add', default: 'paas' }),
    ...jsonFlag(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AppsCreate);
    const name = args.name ?? `app-${crypto.randomBytes(3).toString('hex')}`;
    ux.action.start(`Creating ${name}`);
    const app = await this.client().createApp(name);
    ux.action.stop();
    if (inGitRepo()) setRemote(flags.remote, app.git_url);
    if (flags.json) return this.log(toJson(app));
    this.log(`${app.web_url} | ${app.git_url}`);
  }
}
