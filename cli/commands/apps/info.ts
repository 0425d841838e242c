import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class AppsInfo extends BaseCommand {
  static override description = 'show an app: owner, URLs, current release, process counts';
  static override aliases = ['info'];
  static override examples = ['$ paas apps:info -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(AppsInfo);
    const name = this.resolveApp(flags);
    const client = this.client();
    const [app, formation] = await Promise.all([client.app(name), client.formation(name)]);
    if (flags.json) return this.log(toJson({ ...app, formation }));
    this.log(`=== ${app.name}`);
    this.log(`Owner:      ${app.owner ?? ''}`);
    this.log(`Git URL:    ${app.git_url}`);
    this.log(`Web URL:    ${app.web_url}`);
    this.log(`Release:    ${app.release_version ? `v${app.release_version}` : 'none yet'}`);
    this.log(`Dynos:      ${formation.map((f) => `${f.type}: ${f.quantity}`).join(', ') || 'none'}`);
  }
}
