import { Args, Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { editBuildpacks } from './index';

export default class BuildpacksSet extends BaseCommand {
  static override description = "set the app's buildpack (replaces the one at --index, 1 by default); it beats the app's .buildpacks";
  static override examples = ['$ paas buildpacks:set nodejs -a hello', '$ paas buildpacks:set https://github.com/heroku/heroku-buildpack-ruby -i 2'];
  static override args = { buildpack: Args.string({ description: 'a buildpack name (nodejs), URL or path', required: true }) };
  static override flags = { ...appFlags, index: Flags.integer({ char: 'i', description: 'position (1 is first)', min: 1 }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BuildpacksSet);
    const app = this.resolveApp(flags);
    await editBuildpacks(this, this.client(), app, (list) => {
      const i = (flags.index ?? 1) - 1;
      if (i > list.length) this.error(`There is no buildpack at index ${i}. See \`paas buildpacks -a ${app}\`.`, { exit: 1 });
      const next = [...list];
      next[i] = args.buildpack;
      return flags.index ? next : [args.buildpack, ...list.slice(1)];
    });
  }
}
