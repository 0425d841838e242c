import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class CertsRedirect extends BaseCommand {
  static override description = 'redirect plain HTTP requests of an app to HTTPS (301, 308 for non-GET), or stop with --off; no flag shows the setting';
  static override examples = ['$ paas certs:redirect --on -a hello', '$ paas certs:redirect --off -a hello', '$ paas certs:redirect -a hello'];
  static override flags = {
    ...appFlags,
    on: Flags.boolean({ description: 'redirect http:// to https://', exclusive: ['off'] }),
    off: Flags.boolean({ description: 'serve http:// again', exclusive: ['on'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsRedirect);
    const app = this.resolveApp(flags);
    if (!flags.on && !flags.off) {
      const { force_https } = await this.client().httpsSettings(app);
      return this.log(force_https ? `${app} redirects HTTP to HTTPS.` : `${app} serves HTTP and HTTPS. Run paas certs:redirect --on to redirect HTTP to HTTPS.`);
    }
    process.stderr.write(`${flags.on ? 'Redirecting' : 'No longer redirecting'} HTTP to HTTPS for ${app}... `);
    await this.client().setForceHttps(app, Boolean(flags.on));
    process.stderr.write('done\n');
  }
}
