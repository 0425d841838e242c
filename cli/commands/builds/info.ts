import { Args } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { buildOrLatest } from './index';
import { jsonFlag, toJson } from '../../json-output';

export default class BuildsInfo extends BaseCommand {
  static override description = 'show a build: status, commit, buildpacks, image, size and duration';
  static override examples = ['$ paas builds:info -a hello', '$ paas builds:info 6f1c…-… -a hello --json'];
  static override args = { id: Args.string({ description: 'build ID; the latest build if omitted' }) };
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BuildsInfo);
    const app = this.resolveApp(flags);
    const b = await buildOrLatest(this.client(), app, args.id);
    if (!b) this.error(`${app} has no builds yet. Push to build: git push paas main`, { exit: 1 });
    if (flags.json) return this.log(toJson(b));
    this.log(`=== Build ${b.id}`);
    this.log(`Status:     ${b.status}`);
    this.log(`Commit:     ${b.source_version}`);
    this.log(`Buildpacks: ${(b.buildpacks ?? []).map((bp) => bp.name).join(', ') || 'none'}`);
    this.log(`Image:      ${b.image ?? 'none'}${b.image_digest ? ` (${b.image_digest})` : ''}`);
    if (b.image_size != null) this.log(`Size:       ${(b.image_size / 1024 / 1024).toFixed(1)} MB`);
    if (b.duration_ms != null) this.log(`Duration:   ${(b.duration_ms / 1000).toFixed(1)} s`);
    if (b.created_at) this.log(`Started:    ${new Date(b.created_at).toISOString()}`);
  }
}
