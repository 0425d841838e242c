import { Args, Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class AppsDestroy extends BaseCommand {
  static override description = 'permanently destroy an app: its processes stop and its releases are deleted';
  static override aliases = ['destroy'];
  static override examples = ['$ paas apps:destroy hello --confirm hello'];
  static override args = { name: Args.string({ description: 'app to destroy' }) };
  static override flags = { ...appFlags, confirm: Flags.string({ description: 'the app name again, to confirm' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AppsDestroy);
    const name = args.name ?? this.resolveApp(flags);
    if (flags.confirm !== name) {
      this.error(`This destroys ${name} and cannot be undone. To proceed, run: paas apps:destroy ${name} --confirm ${name}`, { exit: 1 });
    }
    process.stderr.write(`Destroying ${name} (including all its processes)... `);
    await this.client().destroyApp(name);
    process.stderr.write('done\n');
  }
}
