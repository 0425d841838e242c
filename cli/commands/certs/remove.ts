import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { confirmDestructive } from '../../confirm';
import { beginAction, endAction } from '../../action-line';

export default class CertsRemove extends BaseCommand {
  static override description = 'remove a certificate; its domains get the default certificate';
  static override examples = ['$ paas certs:remove --name hello-3f2a9c --confirm hello', '$ paas certs:remove -a hello   # then type hello at the prompt'];
  static override flags = {
    ...appFlags,
    name: Flags.string({ description: 'the certificate (see paas certs); needed when the app has several' }),
    confirm: Flags.string({ description: 'the app name again, to confirm without a prompt (scripts)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CertsRemove);
    const app = this.resolveApp(flags);
    let name = flags.name;
    if (!name) {
      const certs = await this.client().certs(app);
      if (certs.length === 0) this.error(`${app} has no SSL certificates.`, { exit: 1 });
      if (certs.length > 1) this.error(`${app} has several certificates (${certs.map((c) => c.name).join(', ')}). Choose one with --name.`, { exit: 1 });
      name = certs[0].name;
    }
    await confirmDestructive({
      given: flags.confirm,
      expected: app,
      warning: `This removes ${name} and its domains fall back to the default certificate.`,
      rerun: `paas certs:remove --name ${name} -a ${app} --confirm ${app}`,
    });
    beginAction(`Removing SSL certificate ${name} from ${app}`);
    await this.client().removeCert(app, name);
    endAction('done');
  }
}
