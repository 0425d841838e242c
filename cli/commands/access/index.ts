import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class Access extends BaseCommand {
  static override description = 'list who can use an app: its owner and collaborators';
  static override examples = ['$ paas access -a hello'];
  static override flags = { ...appFlags, json: Flags.boolean({ description: 'output as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Access);
    const app = this.resolveApp(flags);
    const people = await this.client().request<{ user: string; role: string }[]>('GET', `/apps/${encodeURIComponent(app)}/collaborators`);
    if (flags.json) return this.log(JSON.stringify(people, null, 2));
    const width = Math.max(...people.map((p) => p.user.length));
    for (const p of people) this.log(`${p.user.padEnd(width)}  ${p.role}`);
  }
}
