import type { ContainerInfo } from '../../../engine';
import { EngineCommand, engineFlags } from '../../engine-command';
import { toJson } from '../../json-output';

export default class EngineContainers extends EngineCommand {
  static override description = 'list the containers on this host (operators, as root)';
  static override aliases = ['engine:ps'];
  static override examples = ['$ sudo paas engine:containers', '$ sudo paas engine:ps --json'];
  static override flags = { ...engineFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(EngineContainers);
    const list = await this.engine(flags['data-dir']).request<ContainerInfo[]>('GET', '/v1/containers');
    if (flags.json) return this.log(toJson(list));
    if (list.length === 0) return this.log('No containers on this host.');
    const rows = list.map((c) => [c.id, c.state, c.ip ?? '', c.image, c.labels['paas.app'] ?? c.labels.app ?? '']);
    const head = ['ID', 'STATE', 'IP', 'IMAGE', 'APP'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const r of [head, ...rows]) this.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  }
}
