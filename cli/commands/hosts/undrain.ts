import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class HostsUndrain extends BaseCommand {
  static override description = 'put a drained (or removed) host back into service (operators)';
  static override examples = ['$ paas hosts:undrain host-2'];
  static override args = { id: Args.string({ description: 'host id, from `paas hosts`', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(HostsUndrain);
    beginAction(`Putting ${args.id} back into service`);
    await this.client().undrainHost(args.id);
    endAction('done');
  }
}
