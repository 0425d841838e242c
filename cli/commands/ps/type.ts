import { Args } from '@oclif/core';
import { normalizeSize, SIZE_NAMES, SIZES } from '../../../controller/api/sizes';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';

const gib = (bytes: number): string => (bytes >= 2 ** 30 ? `${+(bytes / 2 ** 30).toFixed(1)} GB` : `${bytes / 2 ** 20} MB`);

export default class PsType extends BaseCommand {
  static override description = 'show or change the dyno size of process types (memory and CPU limits)';
  static override examples = ['$ paas ps:type -a hello', '$ paas ps:type web=standard-2x worker=basic', '$ paas ps:type --json'];
  static override strict = false;
  static override args = { changes: Args.string({ description: `TYPE=SIZE, SIZE one of ${SIZE_NAMES.join(', ')}` }) };
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(PsType);
    const app = this.resolveApp(flags);
    const client = this.client();
    const changes = (argv as string[]).map((arg) => {
      const m = /^([A-Za-z0-9_-]+)=(.+)$/.exec(arg);
      const size = m ? normalizeSize(m[2]) : null;
      if (!m || !size) this.error(`Invalid argument ${arg}. Use TYPE=SIZE with SIZE one of ${SIZE_NAMES.join(', ')}, like web=standard-2x.`, { exit: 1 });
      return { type: m[1], size };
    });
    const formation = changes.length ? await client.scale(app, changes) : await client.formation(app);
    const rows = formation.map((f) => {
      const limits = SIZES[normalizeSize(f.size) ?? 'standard-1x'];
      return { type: f.type, size: f.size, qty: f.quantity, memory: gib(limits.memoryBytes), cpus: limits.cpus, dedicated: limits.dedicated };
    });
    if (flags.json) return this.log(toJson(rows.map((r) => ({ ...r, memory_bytes: SIZES[normalizeSize(r.size) ?? 'standard-1x'].memoryBytes }))));
    if (rows.length === 0) return this.log(`${app} has no process types yet: push code with a Procfile first (git push paas main).`);
    this.log(`=== ${app} dyno sizes`);
    this.table(rows.map((r) => ({ ...r, dedicated: r.dedicated ? 'yes' : 'no' })), ['type', 'size', 'qty', 'memory', 'cpus', 'dedicated']);
    this.log('');
    this.log(`Sizes: ${SIZE_NAMES.map((n) => `${n} (${gib(SIZES[n].memoryBytes)}, ${SIZES[n].cpus} cpu)`).join(', ')}.`);
  }
}
