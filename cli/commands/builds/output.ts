import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { buildOrLatest } from './index';

export default class BuildsOutput extends BaseCommand {
  static override description = "print a build's full log";
  static override examples = ['$ paas builds:output -a hello', '$ paas builds:output 6f1c…-… -a hello'];
  static override args = { id: Args.string({ description: 'build ID; the latest build if omitted' }) };
  static override flags = { ...appFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BuildsOutput);
    const app = this.resolveApp(flags);
    const client = this.client();
    const b = await buildOrLatest(client, app, args.id);
    if (!b) this.error(`${app} has no builds yet. Push to build: git push paas main`, { exit: 1 });
    process.stdout.write(await client.buildOutput(app, b.id));
  }
}
