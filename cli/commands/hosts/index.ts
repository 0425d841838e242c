import { Flags } from '@oclif/core';
import type { HostView } from '../../../controller/hosts';
import { BaseCommand } from '../../base';

export default class Hosts extends BaseCommand {
  static override description = 'list the hosts of the cluster: health, capacity, jobs (operators)';
  static override examples = ['$ paas hosts', '$ paas hosts --json'];
  static override flags = { json: Flags.boolean({ description: 'output as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Hosts);
    const hosts = await this.client().request<HostView[]>('GET', '/hosts');
    if (flags.json) return this.log(JSON.stringify(hosts, null, 2));
    if (hosts.length === 0) return this.log('No host has reported in yet.');
    this.table(
      hosts.map((h) => ({ id: h.id, health: h.alive ? 'up' : 'down', address: h.address, memory: `${Math.round(h.memory_bytes / 2 ** 30)} GiB`, cpus: h.cpus, jobs: h.jobs, runtime: h.runtime })),
      ['id', 'health', 'address', 'memory', 'cpus', 'jobs', 'runtime'],
    );
  }
}
