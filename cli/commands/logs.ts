import { Flags } from '@oclif/core';
import { appFlags, BaseCommand } from '../base';

export default class Logs extends BaseCommand {
  static override description = "display an app's recent log lines (its processes, the platform's lines about them, the router's), and follow them with --tail";
  static override examples = ['$ paas logs -a hello', '$ paas logs --tail -a hello', '$ paas logs -n 500 --ps web.1 --source app -a hello'];
  static override flags = {
    ...appFlags,
    num: Flags.integer({ char: 'n', description: 'how many lines (at most 1500)', default: 100, min: 0, max: 1500 }),
    tail: Flags.boolean({ char: 't', description: 'keep following new lines (Ctrl-C to stop)', default: false }),
    ps: Flags.string({ char: 'p', description: 'only this process (web.1) or process type (web)' }),
    source: Flags.string({ char: 's', description: 'only lines from the app itself (app) or from the platform (paas)', options: ['app', 'paas'] }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Logs);
    const app = this.resolveApp(flags);
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    await this.client().logs(app, { lines: flags.num, dyno: flags.ps, source: flags.source as 'app' | 'paas' | undefined, tail: flags.tail }, (text) => void process.stdout.write(text), ac.signal);
  }
}
