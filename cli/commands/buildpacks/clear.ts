import { appFlags, BaseCommand } from '../../base';
import { editBuildpacks } from './index';

export default class BuildpacksClear extends BaseCommand {
  static override description = "clear the app's buildpacks: the next push detects (or uses the app's .buildpacks)";
  static override examples = ['$ paas buildpacks:clear -a hello'];
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(BuildpacksClear);
    await editBuildpacks(this, this.client(), this.resolveApp(flags), () => []);
  }
}
