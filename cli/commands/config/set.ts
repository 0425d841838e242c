import fs from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { parse as parseDotenv } from 'dotenv';
import { appFlags, BaseCommand } from '../../base';
import { beginAction, endAction } from '../../action-line';

const CONFIG_KEY = /^[^\s=\p{Cc}]+$/u;

export default class ConfigSet extends BaseCommand {
  static override description = 'set config vars (KEY=value, or every var of a .env file); each change is a new release and the processes restart';
  static override strict = false;
  static override examples = [
    '$ paas config:set RAILS_ENV=staging -a hello',
    '$ paas config:set "GREETING=hello world" SECRET="$(cat key.pem)"',
    '$ paas config:set --file .env.production',
  ];
  static override args = { vars: Args.string({ description: 'KEY=value pairs (after the file\'s, so they win)' }) };
  static override flags = {
    ...appFlags,
    // Not --env-file: Node 20 reads that from anywhere in argv as its own option.
    file: Flags.string({ description: 'a .env file: KEY=value lines, # comments, quoted values (double quotes allow \\n and span lines), `export ` prefixes' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ConfigSet);
    const changes: Record<string, string> = {};
    if (flags.file) Object.assign(changes, this.readEnvFile(flags.file));
    for (const pair of argv as string[]) {
      const i = pair.indexOf('=');
      if (i <= 0) this.error(`${pair} is invalid. Use KEY=value (the value may contain = and spaces).`, { exit: 1 });
      const key = pair.slice(0, i);
      // A name with a space or a control character could not be read from the environment.
      if (!CONFIG_KEY.test(key)) this.error(`${JSON.stringify(key)} is not a config var name: no spaces or control characters, like ${key.trim().replace(/\s+/g, '_') || 'KEY'}=value.`, { exit: 1 });
      changes[key] = pair.slice(i + 1);
    }
    if (Object.keys(changes).length === 0) this.error('Nothing to set. Give KEY=value pairs, or --file FILE (a .env file).', { exit: 1 });
    const app = this.resolveApp(flags);
    beginAction(`Setting ${Object.keys(changes).join(', ')} and restarting ${app}`);
    await this.client().setConfig(app, changes);
    const releases = await this.client().releases(app);
    endAction(`done, v${releases[0]?.version ?? '?'}`);
    for (const [k, v] of Object.entries(changes)) this.log(`${k}: ${v}`);
  }

  /** dotenv's parser (the format every .env tool shares), with errors that say what to fix. */
  private readEnvFile(file: string): Record<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      this.error(`Cannot read ${file}: ${(err as Error).message}. Give the path of a .env file.`, { exit: 1 });
    }
    const vars = parseDotenv(text);
    if (Object.keys(vars).length === 0) this.error(`${file} sets no variables. Write one KEY=value per line.`, { exit: 1 });
    return vars;
  }
}
