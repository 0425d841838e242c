import { Args, Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { editBuildpacks } from './index';

export default class BuildpacksRemove extends BaseCommand {
  static override description = "remove a buildpack from the app's list, by name or --index";
  static override examples = ['$ paas buildpacks:remove procfile -a hello', '$ paas buildpacks:remove -i 2'];
  static override args = { buildpack: Args.string({ description: 'the buildpack to remove' }) };
  static override flags = { ...appFlags, index: Flags.integer({ char: 'i', description: 'position (1 is first)', min: 1 }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BuildpacksRemove);
    const app = this.resolveApp(flags);
    if (!args.buildpack && flags.index === undefined) this.error('Say which buildpack to remove: its name or URL, or --index N.', { exit: 1 });
    await editBuildpacks(this, this.client(), app, (list) => {
      const i = flags.index !== undefined ? flags.index - 1 : list.indexOf(args.buildpack ?? '');
      if (i < 0 || i >= list.length) this.error(`${args.buildpack ?? `Index ${flags.index}`} is not in ${app}'s buildpacks. See \`paas buildpacks -a ${app}\`.`, { exit: 1 });
      return list.filter((_, j) => j !== i);
    });
  }
}
