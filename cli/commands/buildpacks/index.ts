import type { ControllerClient } from '../../../controller';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Buildpacks extends BaseCommand {
  static override description = "list the app's buildpacks, in the order they run (none: detect, or the app's .buildpacks)";
  static override examples = ['$ paas buildpacks -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Buildpacks);
    const app = this.resolveApp(flags);
    const list = await this.client().buildpacks(app);
    if (flags.json) return this.log(toJson(list));
    if (list.length === 0) return this.log(`${app} has no buildpack set. The app's .buildpacks file, or detection, picks one on the next push.`);
    this.log(`=== ${app} Buildpack${list.length > 1 ? 's' : ''}`);
    for (const i of list) this.log(`${i.ordinal + 1}. ${i.buildpack.url}`);
  }
}

/** Reads, changes and writes the app's buildpack list, then says what the next push uses. */
export async function editBuildpacks(cmd: BaseCommand, client: ControllerClient, app: string, change: (list: string[]) => string[]): Promise<void> {
  const before = (await client.buildpacks(app)).map((i) => i.buildpack.url);
  const after = await client.setBuildpacks(app, change(before));
  if (after.length === 0) {
    cmd.log(`Buildpacks cleared. The next release on ${app} will detect its buildpack (or use its .buildpacks file).`);
    return;
  }
  cmd.log(`Buildpack${after.length > 1 ? 's' : ''} set. Next release on ${app} will use:`);
  for (const i of after) cmd.log(`  ${i.ordinal + 1}. ${i.buildpack.url}`);
  cmd.log('Run git push paas main to create a new release using these buildpacks.');
}
