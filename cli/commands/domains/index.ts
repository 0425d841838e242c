import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Domains extends BaseCommand {
  static override description = "list an app's domains";
  static override examples = ['$ paas domains -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Domains);
    const app = this.resolveApp(flags);
    const domains = await this.client().request<{ hostname: string; kind: string }[]>('GET', `/apps/${encodeURIComponent(app)}/domains`);
    if (flags.json) return this.log(toJson(domains));
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
