import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { gib, hostState } from '../../host-format';
import { jsonFlag, toJson } from '../../json-output';

export default class HostsInfo extends BaseCommand {
  static override description = 'show one host: state, address, capacity, jobs, last heartbeat (operators)';
  static override examples = ['$ paas hosts:info host-1', '$ paas hosts:info host-1 --json'];
  static override args = { id: Args.string({ description: 'host id, from `paas hosts`', required: true }) };
  static override flags = { ...jsonFlag() };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(HostsInfo);
    const h = await this.client().host(args.id);
    if (flags.json) return this.log(toJson(h));
    this.log(`=== ${h.id}`);
    this.log(`State:      ${hostState(h)}`);
    this.log(`Address:    ${h.address ?? '?'}`);
    this.log(`Subnet:     ${h.subnet ?? '?'}`);
    this.log(`Memory:     ${gib(h.memory_bytes)}`);
    this.log(`CPUs:       ${h.cpus ?? '?'}`);
    this.log(`Jobs:       ${h.jobs}`);
    this.log(`Runtime:    ${h.runtime ?? '?'}`);
    this.log(`Last seen:  ${h.last_seen ?? 'never'}`);
    if (h.draining) this.log(h.jobs ? `Draining: its ${h.jobs} jobs are moving to other hosts.` : `Drained: \`paas hosts:remove ${h.id}\` removes it.`);
  }
}
