import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base';
import { inGitRepo, setRemote } from '../../git';

export default class GitRemote extends BaseCommand {
  static override description = "add (or point) a git remote at an existing app's repository, so `git push paas main` deploys it";
  static override examples = ['$ paas git:remote -a hello', '$ paas git:remote -a hello-staging --remote staging'];
  static override flags = {
    app: Flags.string({ char: 'a', description: 'the app', required: true }),
    remote: Flags.string({ char: 'r', description: 'name of the git remote', default: 'paas' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(GitRemote);
    if (!inGitRepo()) this.error('This folder is not a git repository. Run `git init` first, or cd into your app.', { exit: 1 });
    const app = await this.client().app(flags.app);
    setRemote(flags.remote, app.git_url);
    this.log(`set git remote ${flags.remote} to ${app.git_url}`);
  }
}
