import { Args, Flags, ux } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { confirmDestructive } from '../../confirm';

export default class AppsDestroy extends BaseCommand {
  static override description = 'permanently destroy an app: its processes stop and its releases are deleted (asks for the name on a terminal)';
  static override aliases = ['destroy'];
  static override examples = ['$ paas apps:destroy hello --confirm hello', '$ paas apps:destroy -a hello   # then type hello at the prompt'];
  static override args = { name: Args.string({ description: 'app to destroy' }) };
  static override flags = { ...appFlags, confirm: Flags.string({ description: 'the app name again, to confirm without a prompt (scripts)' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(AppsDestroy);
    const name = args.name ?? this.resolveApp(flags);
    const client = this.client();
    await client.app(name); // an unknown app or a missing login fails before anything is asked
    await confirmDestructive({
      given: flags.confirm,
      expected: name,
      warning: `This destroys ${name} and cannot be undone.`,
      rerun: `paas apps:destroy ${name} --confirm ${name}`,
    });
    // The spinner covers the API call only: the app's jobs are deleted with it, and what
    // the scheduler then stops is no longer visible through the API to wait on.
    ux.action.start(`Destroying ${name} (including all its processes)`);
    await client.destroyApp(name);
    ux.action.stop();
  }
}
