import type { VolumeInfo } from '../../../engine';
import { EngineCommand, engineFlags } from '../../engine-command';
import { toJson } from '../../json-output';

export default class EngineVolumes extends EngineCommand {
  static override description = 'list the named volumes on this host and the containers using them (operators, as root)';
  static override examples = ['$ sudo paas engine:volumes'];
  static override flags = { ...engineFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(EngineVolumes);
    const list = await this.engine(flags['data-dir']).request<VolumeInfo[]>('GET', '/v1/volumes');
    if (flags.json) return this.log(toJson(list));
    if (list.length === 0) return this.log('No volumes on this host.');
    const width = Math.max(...list.map((v) => v.name.length));
    for (const v of list) this.log(`${v.name.padEnd(width)}  ${v.mountpoint}  used by: ${v.usedBy.join(', ') || 'nothing'}`);
  }
}
