import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Releases extends BaseCommand {
  static override description = 'list the releases of an app, newest first, with failed or deploying ones marked';
  static override examples = ['$ paas releases -a hello', '$ paas releases --json'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Releases);
    const app = this.resolveApp(flags);
    const releases = await this.client().releases(app);
    if (flags.json) return this.log(toJson(releases));
    this.log(`=== ${app} Releases`);
    // The status column reads like Heroku's release phase: only what is not plainly deployed is spelled out.
    for (const r of releases) {
      const status = r.status === 'failed' ? `failed: ${r.status_reason ?? 'see paas releases:info'}` : r.status === 'pending' ? 'deploying' : '';
      this.log(`v${r.version}  ${r.description.padEnd(40)}  ${new Date(r.created_at).toISOString()}${r.current ? '  (current)' : ''}${status ? `  ${status}` : ''}`.trimEnd());
    }
  }
}
