import { BaseCommand } from '../../base';
import { gib, hostState } from '../../host-format';
import { jsonFlag, toJson } from '../../json-output';

export default class Hosts extends BaseCommand {
  static override description = 'list the hosts of the cluster: health, draining, capacity, jobs (operators)';
  static override examples = ['$ paas hosts', '$ paas hosts --json'];
  static override flags = { ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Hosts);
    const hosts = await this.client().hosts();
    if (flags.json) return this.log(toJson(hosts));
    if (hosts.length === 0) return this.log('No host has reported in yet.');
    this.table(
      hosts.map((h) => ({ id: h.id, state: hostState(h), address: h.address ?? '?', memory: gib(h.memory_bytes), cpus: h.cpus ?? '?', jobs: h.jobs, runtime: h.runtime ?? '?' })),
      ['id', 'state', 'address', 'memory', 'cpus', 'jobs', 'runtime'],
    );
  }
}
