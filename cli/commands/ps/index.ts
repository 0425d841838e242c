import type { DynoInfo } from '../../../controller';
import { appFlags, BaseCommand } from '../../base';
import { ago } from '../../time';
import { jsonFlag, toJson } from '../../json-output';

/** "  mem 42.1 MB/512 MB (8%)  cpu 3.5%": from the process's cgroup, sampled every 10 s. */
export function usageText(d: DynoInfo): string {
  const u = d.usage;
  if (!u) return '';
  const share = u.memory_limit_mb > 0 ? ` (${Math.round((u.memory_mb / u.memory_limit_mb) * 100)}%)` : '';
  return `  mem ${u.memory_mb} MB/${u.memory_limit_mb} MB${share}  cpu ${u.cpu_percent}%`;
}

export default class Ps extends BaseCommand {
  static override description = "list the processes (dynos) of an app: name, state and since when, release, host, size, memory and CPU in use";
  static override examples = ['$ paas ps -a hello', '$ paas ps --json'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    const app = this.resolveApp(flags);
    const client = this.client();
    const [dynos, formation] = await Promise.all([client.dynos(app), client.formation(app)]);
    if (flags.json) return this.log(toJson(dynos));
    if (dynos.length === 0) {
      this.log(`No dynos on ${app}. Formation: ${formation.map((f) => `${f.type}=${f.quantity}:${f.size}`).join(' ') || 'none (push code first)'}.`);
      if (formation.some((f) => f.quantity > 0)) this.log(`They are being started; see \`paas ps -a ${app}\` again in a moment.`);
      return;
    }
    // Heroku's layout: one block per type, one-offs first, each dyno with its state and since when.
    const oneOffs = dynos.filter((d) => d.one_off);
    if (oneOffs.length) this.block('run: one-off processes', oneOffs, (d) => `${d.name} (${d.size ?? '?'})`);
    for (const type of [...new Set(dynos.filter((d) => !d.one_off).map((d) => d.type))]) {
      const list = dynos.filter((d) => !d.one_off && d.type === type);
      const f = formation.find((x) => x.type === type);
      this.block(`${type} (${f?.size ?? list[0].size ?? '?'}): ${list.length}${f && f.quantity !== list.length ? ` (formation: ${f.quantity})` : ''}`, list, (d) => d.name);
    }
  }

  private block(title: string, dynos: DynoInfo[], label: (d: DynoInfo) => string): void {
    this.log(`=== ${title}`);
    for (const d of dynos) {
      const since = new Date(d.updated_at);
      const where = d.host ? `v${d.release} on ${d.host}` : `v${d.release}, waiting for a host`;
      this.log(`${label(d)}: ${d.state} ${since.toISOString().replace('T', ' ').slice(0, 19)} (~ ${ago(since)})  ${where}${usageText(d)}${d.reason ? `  ${d.reason}` : ''}`);
    }
    this.log('');
  }
}
