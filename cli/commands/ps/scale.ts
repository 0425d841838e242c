import { Args, Flags } from '@oclif/core';
import { normalizeSize, SIZE_NAMES } from '../../../controller/api/sizes';
import { appFlags, BaseCommand } from '../../base';
import { jsonFlag, toJson } from '../../json-output';
import { startProgress } from '../../progress';
import { waitForFormation } from '../../wait-formation';
import { beginAction, endAction } from '../../action-line';

const SCALE = /^([A-Za-z0-9_-]+?)(?:=(\d+)|([+-]\d+))?(?::([A-Za-z0-9-]+))?$/;

export default class PsScale extends BaseCommand {
  static override description = 'change the number (and size) of processes per type';
  static override aliases = ['scale'];
  static override strict = false;
  static override examples = ['$ paas ps:scale web=5 worker=2 -a hello', '$ paas scale web+2', '$ paas scale web=2:standard-2x', '$ paas scale web=10 --wait   # until all 10 are up', '$ paas ps:scale --json   # the formation'];
  static override args = { changes: Args.string({ description: 'TYPE=N, TYPE+N, TYPE-N, optionally :SIZE' }) };
  static override flags = {
    ...appFlags,
    ...jsonFlag('output the formation (each type with its quantity and size) as JSON'),
    wait: Flags.boolean({ description: 'wait until every scaled type runs its new number of processes, all up (a crash ends the wait, non-zero)' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(PsScale);
    const app = this.resolveApp(flags);
    const client = this.client();
    const current = await client.formation(app);
    if ((argv as string[]).length === 0) {
      if (flags.json) return this.log(toJson(current));
      this.log(current.map((f) => `${f.type}=${f.quantity}:${f.size}`).join(' ') || 'No process types yet: push code first.');
      return;
    }
    const updates = (argv as string[]).map((arg) => {
      const m = SCALE.exec(arg);
      if (!m || (!m[2] && !m[3] && !m[4])) this.error(`Invalid argument ${arg}. Use TYPE=N, TYPE+N or TYPE-N, like web=2.`, { exit: 1 });
      if (m[4] && !normalizeSize(m[4])) this.error(`Unknown size ${m[4]} in ${arg}. Sizes: ${SIZE_NAMES.join(', ')} (see \`paas ps:type\`).`, { exit: 1 });
      const now = current.find((f) => f.type === m[1])?.quantity ?? 0;
      const quantity = m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? Math.max(0, now + Number(m[3])) : undefined;
      return { type: m[1], quantity, size: m[4] };
    });
    beginAction('Scaling dynos');
    const result = await client.scale(app, updates);
    endAction(`done, now running ${result.map((f) => `${f.type} at ${f.quantity}:${f.size}`).join(', ')}`);
    if (flags.wait) {
      const targets = result.filter((f) => updates.some((u) => u.type === f.type));
      const progress = startProgress('Waiting for the processes');
      const outcome = await waitForFormation(client, app, targets, (text) => progress.status(text));
      if (!outcome.done) {
        progress.stop('failed');
        this.error(outcome.message, { exit: 1 });
      }
      progress.stop(`done, ${outcome.summary}`);
    }
    if (flags.json) this.log(toJson(result));
  }
}
