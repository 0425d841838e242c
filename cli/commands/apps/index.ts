import { BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Apps extends BaseCommand {
  static override description = 'list your apps';
  static override examples = ['$ paas apps', '$ paas apps --json'];
  static override flags = { ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Apps);
    const apps = await this.client().apps();
    if (flags.json) return this.log(toJson(apps));
    if (apps.length === 0) return this.log('You have no apps. Create one with `paas apps:create NAME`.');
    this.log('=== Apps');
    for (const a of apps) this.log(a.name);
  }
}
