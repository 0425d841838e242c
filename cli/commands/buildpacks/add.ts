import { Args, Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { editBuildpacks } from './index';

export default class BuildpacksAdd extends BaseCommand {
  static override description = "add a buildpack to the app's list (last, or at --index)";
  static override examples = ['$ paas buildpacks:add procfile -a hello', '$ paas buildpacks:add nodejs --index 1'];
  static override args = { buildpack: Args.string({ description: 'a buildpack name (nodejs), URL or path', required: true }) };
  static override flags = { ...appFlags, index: Flags.integer({ char: 'i', description: 'position (1 is first)', min: 1 }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BuildpacksAdd);
    const app = this.resolveApp(flags);
    await editBuildpacks(this, this.client(), app, (list) => {
      if (list.includes(args.buildpack)) this.error(`The buildpack ${args.buildpack} is already set on ${app}.`, { exit: 1 });
      const next = [...list];
      next.splice(flags.index === undefined ? next.length : Math.min(flags.index - 1, next.length), 0, args.buildpack);
      return next;
    });
  }
}
