import { EngineCommand, engineFlags } from '../../engine-command';
import { toJson } from '../../json-output';

export default class EngineInfo extends EngineCommand {
  static override description = "show this host's engine: runtime, bridge, container and image counts (operators, as root)";
  static override examples = ['$ sudo paas engine:info'];
  static override flags = { ...engineFlags };

  async run(): Promise<void> {
    const { flags } = await this.parse(EngineInfo);
    const info = await this.engine(flags['data-dir']).request<Record<string, unknown>>('GET', '/v1/info');
    if (flags.json) return this.log(toJson(info));
    for (const [k, v] of Object.entries(info)) this.log(`${`${k.replace(/_/g, ' ')}:`.padEnd(16)} ${String(v)}`);
  }
}
