import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../../base';

export default class Ps extends BaseCommand {
  static override description = 'list the processes (dynos) of an app';
  static override examples = ['$ paas ps -a hello', '$ paas ps --json'];
  static override flags = { ...appFlags, json: Flags.boolean({ description: 'output as JSON' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    const app = this.resolveApp(flags);
    const client = this.client();
    const [dynos, formation] = await Promise.all([client.dynos(app), client.formation(app)]);
    if (flags.json) return this.log(JSON.stringify(dynos, null, 2));
    if (dynos.length === 0) return this.log(`No processes are running on ${app}. Formation: ${formation.map((f) => `${f.type}=${f.quantity}`).join(' ') || 'none'}.`);
    for (const type of [...new Set(dynos.map((d) => d.type))]) {
      const size = formation.find((f) => f.type === type)?.size ?? 'standard';
      this.log(`=== ${type} (${size}): ${dynos.filter((d) => d.type === type).length}`);
      for (const d of dynos.filter((x) => x.type === type)) {
        this.log(`${d.name}: ${d.state} ${new Date(d.updated_at).toISOString()}  v${d.release}  host ${d.host}`);
      }
      this.log('');
    }
  }
}
