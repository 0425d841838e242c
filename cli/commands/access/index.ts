import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

export default class Access extends BaseCommand {
  static override description = 'list who can use an app: its owner and collaborators';
  static override examples = ['$ paas access -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Access);
    const app = this.resolveApp(flags);
    const people = await this.client().request<{ user: string; role: string }[]>('GET', `/apps/${encodeURIComponent(app)}/collaborators`);
    if (flags.json) return this.log(toJson(people));
    const width = Math.max(...people.map((p) => p.user.length));
    for (const p of people) this.log(`${p.user.padEnd(width)}  ${p.role}`);
  }
}
