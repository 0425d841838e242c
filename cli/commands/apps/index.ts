import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base';

export default class Apps extends BaseCommand {
  static override description = 'list your apps';
  static override examples = ['$ paas apps', '$ paas apps --json'];
  static override flags = { json: Flags.boolean({ description: 'output as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Apps);
    const apps = await this.client().apps();
    if (flags.json) return this.log(JSON.stringify(apps, null, 2));
    if (apps.length === 0) return this.log('You have no apps. Create one with `paas apps:create NAME`.');
    this.log('=== Apps');
    for (const a of apps) this.log(a.name);
  }
}
