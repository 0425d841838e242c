import { Args, Flags } from '@oclif/core';
import { EngineCommand, engineFlags } from '../../engine-command';

export default class EngineStop extends EngineCommand {
  static override description = 'stop a container on this host: SIGTERM, then SIGKILL after the grace period (operators, as root)';
  static override examples = ['$ sudo paas engine:stop hello-web-1a2b3c4d5e --grace 10'];
  static override args = { id: Args.string({ required: true, description: 'container id' }) };
  static override flags = { 'data-dir': engineFlags['data-dir'], grace: Flags.integer({ description: 'seconds before SIGKILL', default: 30, min: 0 }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EngineStop);
    await this.engine(flags['data-dir']).request('POST', `/v1/containers/${encodeURIComponent(args.id)}/stop?grace_ms=${flags.grace * 1000}`);
    this.log(`Stopped ${args.id}. (The scheduler replaces it if its app still wants it.)`);
  }
}
