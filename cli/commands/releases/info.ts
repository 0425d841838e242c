import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class ReleasesInfo extends BaseCommand {
  static override description = 'show a release: its description, build and config vars';
  static override examples = ['$ paas releases:info v3 -a hello', '$ paas releases:info --json'];
  static override args = { release: Args.string({ description: 'version (v3 or 3); the current one if omitted' }) };
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReleasesInfo);
    const app = this.resolveApp(flags);
    const client = this.client();
    const version = args.release ? Number(args.release.replace(/^v/, '')) : (await client.app(app)).release_version;
    if (!Number.isInteger(version) || version < 1) this.error(`${args.release ?? 'The app'} is not a release. Use a version like v3 (see \`paas releases\`).`, { exit: 1 });
    const [release, config] = await Promise.all([client.release(app, version), client.releaseConfig(app, version)]);
    if (flags.json) return this.log(toJson({ ...release, config_vars: config }));
    this.log(`=== Release v${release.version}${release.current ? ' (current)' : ''}`);
    this.log(`Description: ${release.description}`);
    this.log(`Build:       ${release.build_id ?? 'none'}`);
    this.log(`Status:      ${release.status}${release.status_reason ? ` (${release.status_reason})` : ''}`);
    this.log(`When:        ${new Date(release.created_at).toISOString()}`);
    this.log('');
    this.log('=== Config vars');
    for (const k of Object.keys(config).sort()) this.log(`${k}: ${config[k]}`);
  }
}
