import { Args, Flags, ux } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';
import { waitForRelease } from '../../wait-release';
import { beginAction, endAction } from '../../action-line';

export default class ReleasesRollback extends BaseCommand {
  static override description = "roll back to a release: a new release with that release's build and config";
  static override aliases = ['rollback'];
  static override examples = ['$ paas rollback v3 -a hello', '$ paas releases:rollback', '$ paas rollback v3 --wait   # until it is deployed', '$ paas rollback v3 --json'];
  static override args = { release: Args.string({ description: 'version to go back to; the one before the current if omitted' }) };
  static override flags = {
    ...appFlags,
    ...jsonFlag('output the new release as JSON (after the deploy, with --wait)'),
    wait: Flags.boolean({ description: 'wait until the new release is deployed (its processes up); a failed deploy ends non-zero with the reason' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReleasesRollback);
    const app = this.resolveApp(flags);
    const client = this.client();
    const current = (await client.app(app)).release_version;
    const version = args.release ? Number(args.release.replace(/^v/, '')) : current - 1;
    if (!Number.isInteger(version) || version < 1) this.error('There is no earlier release to roll back to. See `paas releases`.', { exit: 1 });
    beginAction(`Rolling back ${app} to v${version}`);
    const release = await client.rollback(app, version);
    endAction(`done, v${release.version}`);
    if (!flags.json) this.log(`Rollback to v${version} is release v${release.version}; the processes restart with it.`);
    if (flags.wait) {
      ux.action.start(`Deploying v${release.version}`);
      const outcome = await waitForRelease(client, app, release.version);
      if (!outcome.done) {
        ux.action.stop('failed');
        this.error(outcome.message, { exit: 1 });
      }
      ux.action.stop('done');
    }
    if (flags.json) this.log(toJson(release));
  }
}
