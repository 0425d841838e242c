import { Args, Flags } from '@oclif/core';
import { EngineCommand, engineFlags } from '../../engine-command';
import { jsonFlag, toJson } from '../../json-output';

export default class EngineInspect extends EngineCommand {
  static override description = 'show a container (or, with --image, an image) on this host as JSON';
  static override examples = ['$ sudo paas engine:inspect hello-web-1a2b3c4d5e', '$ sudo paas engine:inspect --image paas/stack:bookworm'];
  static override args = { id: Args.string({ required: true, description: 'container id (or image ref with --image)' }) };
  static override flags = {
    'data-dir': engineFlags['data-dir'],
    image: Flags.boolean({ description: 'inspect an image instead of a container' }),
    // Taken for the scripts that pass --json to every command; the output is JSON anyway.
    ...jsonFlag('output as JSON (always: the engine\'s own record)'),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(EngineInspect);
    const kind = flags.image ? 'images' : 'containers';
    const value = await this.engine(flags['data-dir']).request<unknown>('GET', `/v1/${kind}/${encodeURIComponent(args.id)}`);
    this.log(toJson(value));
  }
}
