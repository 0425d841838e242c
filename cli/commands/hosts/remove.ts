import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class HostsRemove extends BaseCommand {
  static override description = 'remove a host from the cluster; one that still runs jobs must be drained first (operators)';
  static override examples = ['$ paas hosts:drain host-2 && paas hosts:remove host-2'];
  static override args = { id: Args.string({ description: 'host id, from `paas hosts`', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(HostsRemove);
    beginAction(`Removing ${args.id}`);
    await this.client().removeHost(args.id);
    endAction(`done`);
    this.log(`${args.id} is out of the cluster. If it should come back, run \`paas hosts:undrain ${args.id}\`.`);
  }
}
