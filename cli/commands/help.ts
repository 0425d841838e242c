import { Args, Command, loadHelpClass } from '@oclif/core';

export default class HelpCommand extends Command {
  static override description = 'list the commands, or explain one with an example';
  static override examples = ['$ paas help', '$ paas help ps:scale'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'a command (ps:scale) or a topic (ps)' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const Help = await loadHelpClass(this.config);
    await new Help(this.config).showHelp(argv as string[]);
  }
}
