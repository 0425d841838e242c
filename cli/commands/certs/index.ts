import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Certs extends BaseCommand {
  static override description = "list an app's TLS certificates and the domains each serves";
  static override examples = ['$ paas certs -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Certs);
    const app = this.resolveApp(flags);
    const certs = await this.client().certs(app);
    if (flags.json) return this.log(toJson(certs.map(({ certificate_chain: _chain, ...c }) => c)));
    if (certs.length === 0) return this.log(`${app} has no SSL certificates.\nUse paas certs:add CRT KEY to add one.`);
    this.table(
      certs.map((c) => ({ name: c.name, 'common name(s)': c.ssl_cert.cert_domains.join(', '), domains: c.domains.join(', '), expires: c.ssl_cert.expires_at.slice(0, 10), trusted: c.ssl_cert.self_signed ? 'False' : 'True' })),
      ['name', 'common name(s)', 'domains', 'expires', 'trusted'],
    );
  }
}
