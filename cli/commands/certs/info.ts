import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { certLines } from '../../cert-format';
import { jsonFlag, toJson } from '../../json-output';

export default class CertsInfo extends BaseCommand {
  static override description = "show an app's certificate (the only one, or --name)";
  static override examples = ['$ paas certs:info -a hello', '$ paas certs:info --name hello-3f2a9c', '$ paas certs:info --json'];
  static override flags = { ...appFlags, name: Flags.string({ description: 'the certificate (see paas certs)' }), ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsInfo);
    const app = this.resolveApp(flags);
    const name = flags.name ?? (await this.onlyCert(app));
    process.stderr.write(`Fetching SSL certificate ${name} info for ${app}... done\n`);
    const cert = await this.client().cert(app, name);
    if (flags.json) return this.log(toJson(cert));
    for (const line of certLines(cert)) this.log(line);
  }

  private async onlyCert(app: string): Promise<string> {
    const certs = await this.client().certs(app);
    if (certs.length === 1) return certs[0].name;
    if (certs.length === 0) this.error(`${app} has no SSL certificates. Add one with paas certs:add CRT KEY.`, { exit: 1 });
    this.error(`${app} has several certificates (${certs.map((c) => c.name).join(', ')}). Choose one with --name.`, { exit: 1 });
  }
}
