import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

export default class HostsDrain extends BaseCommand {
  static override description = 'drain a host: nothing new is placed on it and its jobs move to other hosts (operators)';
  static override examples = ['$ paas hosts:drain host-2'];
  static override args = { id: Args.string({ description: 'host id, from `paas hosts`', required: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(HostsDrain);
    beginAction(`Draining ${args.id}`);
    const h = await this.client().drainHost(args.id);
    endAction('done');
    this.log(`${h.id} takes no new jobs; its ${h.jobs} job${h.jobs === 1 ? '' : 's'} move to other hosts. Follow with \`paas hosts:info ${h.id}\`; \`paas hosts:undrain ${h.id}\` puts it back.`);
  }
}
