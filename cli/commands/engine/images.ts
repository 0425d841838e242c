import type { ImageInfo } from '../../../engine';
import { EngineCommand, engineFlags } from '../../engine-command';
import { toJson } from '../../json-output';

export default class EngineImages extends EngineCommand {
  static override description = 'list the images on this host, with their layers (operators, as root)';
  static override examples = ['$ sudo paas engine:images'];
  static override flags = { ...engineFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(EngineImages);
    const list = await this.engine(flags['data-dir']).request<ImageInfo[]>('GET', '/v1/images');
    if (flags.json) return this.log(toJson(list));
    if (list.length === 0) return this.log('No images on this host.');
    const width = Math.max(...list.map((i) => i.ref.length));
    for (const i of list) this.log(`${i.ref.padEnd(width)}  ${i.digest.slice(7, 19)}  ${i.layers.length} layers`);
  }
}
