import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';

export default class HostsRemove extends BaseCommand {
  static override description = 'remove a host from the cluster; one that still runs jobs must be drained first (operators)';
  static override examples = ['$ paas hosts:drain host-2 && paas hosts:remove host-2'];
  static override args = { id: Args.string({ description: 'host id, from `paas hosts`', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(HostsRemove);
    process.stderr.write(`Removing ${args.id}... `);
    await this.client().removeHost(args.id);
    process.stderr.write(`done\n`);
    this.log(`${args.id} is out of the cluster. If it should come back, run \`paas hosts:undrain ${args.id}\`.`);
  }
}
