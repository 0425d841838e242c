import type { LogDrainView } from '../../../controller';
import { appFlags, BaseCommand } from '../../base';
import { ago } from '../../time';
import { jsonFlag, toJson } from '../../json-output';

export default class Drains extends BaseCommand {
  static override description = "list an app's log drains (where its log lines are forwarded), with how delivery is going";
  static override examples = ['$ paas drains -a hello', '$ paas drains --json -a hello'];
  static override flags = { ...appFlags, ...jsonFlag() };

  async run(): Promise<void> {
    const { flags } = await this.parse(Drains);
    const app = this.resolveApp(flags);
    const drains = await this.client().logDrains(app);
    if (flags.json) return this.log(toJson(drains));
    if (!drains.length) {
      this.log(`${app} has no log drains.`);
      this.log(`Add one with paas drains:add syslog+tls://HOST:PORT -a ${app} (or https://HOST/PATH).`);
      return;
    }
    this.log(`=== ${app} Drains`);
    for (const d of drains) {
      this.log(`${d.url} (${d.token})`);
      for (const line of statusLines(d)) this.log(`  ${line}`);
    }
  }
}

/** What the controller that answered knows of the drain's deliveries. */
function statusLines(d: LogDrainView): string[] {
  const s = d.status;
  if (!s) return [];
  const out: string[] = [];
  if (s.last_success_at) out.push(`delivered ${s.delivered_lines} lines, the last ${ago(new Date(s.last_success_at))}`);
  if (s.last_error_at && (!s.last_success_at || s.last_error_at > s.last_success_at)) out.push(`failing: ${s.last_error} (${ago(new Date(s.last_error_at))}); retrying`);
  else if (s.last_error_at) out.push(`last error ${ago(new Date(s.last_error_at))}: ${s.last_error}`);
  return out;
}
