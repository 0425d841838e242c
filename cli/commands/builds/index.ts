import type { BuildInfo, ControllerClient } from '../../../controller';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Builds extends BaseCommand {
  static override description = 'list the builds of an app, newest first';
  static override examples = ['$ paas builds -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Builds);
    const app = this.resolveApp(flags);
    const builds = await this.client().builds(app);
    if (flags.json) return this.log(toJson(builds));
    this.log(`=== ${app} Builds`);
    for (const b of builds) {
      const took = b.duration_ms == null ? '' : `${(b.duration_ms / 1000).toFixed(1)}s`;
      this.log(`${b.id}  ${b.status.padEnd(9)}  ${b.source_version.slice(0, 7)}  ${took.padStart(7)}  ${b.created_at ? new Date(b.created_at).toISOString() : ''}`);
    }
  }
}

/** The build an ID names, or the app's latest build when none is given (builds:info, builds:output). */
export async function buildOrLatest(client: ControllerClient, app: string, id: string | undefined): Promise<BuildInfo | undefined> {
  if (id) return client.build(app, id);
  const [latest] = await client.builds(app);
  return latest;
}
