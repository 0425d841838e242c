import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class Domains extends BaseCommand {
  static override description = "list an app's domains";
  static override examples = ['$ paas domains -a hello'];
  static override flags = { ...appFlags, json: Flags.boolean({ description: 'output as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Domains);
    const app = this.resolveApp(flags);
    const domains = await this.client().request<{ hostname: string; kind: string }[]>('GET', `/apps/${encodeURIComponent(app)}/domains`);
    if (flags.json) return this.log(JSON.stringify(domains, null, 2));
    this.log(`=== ${app} Default Domain`);
    for (const d of domains.filter((x) => x.kind === 'default')) this.log(d.hostname);
    const custom = domains.filter((x) => x.kind === 'custom');
    if (custom.length) {
      this.log('');
      this.log(`=== ${app} Custom Domains`);
      for (const d of custom) this.log(d.hostname);
    }
  }
}
