import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { inGitRepo, repointRemotes } from '../../git';
import { jsonFlag, toJson } from '../../json-output';
import { beginAction, endAction } from '../../action-line';

export default class AppsRename extends BaseCommand {
  static override description = 'rename an app: its URL and git remote change, its config, releases and domains stay, its processes restart under the new name (web without downtime)';
  static override aliases = ['rename'];
  static override examples = ['$ paas apps:rename hello-world', '$ paas apps:rename hello-world -a hello'];
  static override args = { newname: Args.string({ description: 'new name of the app (lowercase letters, digits, dashes)', required: true }) };
  static override flags = { ...appFlags, ...jsonFlag('output the renamed app as JSON') };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AppsRename);
    const from = this.resolveApp(flags);
    beginAction(`Renaming ${from} to ${args.newname}`);
    const app = await this.client().renameApp(from, args.newname);
    endAction('done');
    // Heroku's CLI updates the checkout it runs in; other checkouts keep the old URL.
    const updated = inGitRepo() ? repointRemotes(new URL(this.credentials().api).hostname, from, app.git_url) : [];
    if (flags.json) this.log(toJson(app));
    else this.log(`${app.web_url} | ${app.git_url}`);
    // On stdout like Heroku's, unless stdout is the JSON.
    for (const remote of updated) (flags.json ? this.logToStderr : this.log).call(this, `Git remote ${remote} updated`);
    this.logToStderr(` ▸    Don't forget to update git remotes for all other local checkouts of the app.`);
  }
}
