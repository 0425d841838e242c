import { Args } from '@oclif/core';
import { BaseCommand } from '../base';
import { completionScript } from '../completion-script';

export default class Autocomplete extends BaseCommand {
  static override description = 'print the shell completion script: commands, their flags, and app names after -a';
  static override examples = ['$ eval "$(paas autocomplete bash)"   # add this line to ~/.bashrc', '$ eval "$(paas autocomplete zsh)"    # or to ~/.zshrc'];
  static override args = { shell: Args.string({ description: 'bash or zsh', options: ['bash', 'zsh'], default: 'bash' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Autocomplete);
    const commands = this.config.commands
      // oclif lists each alias as a command of its own too: keep the real ones.
      .filter((c) => !c.hidden && !(c.aliases ?? []).includes(c.id))
      .map((c) => ({
        id: c.id,
        aliases: c.aliases ?? [],
        flags: Object.entries(c.flags ?? {}).flatMap(([name, f]) => [`--${name}`, ...(f.char ? [`-${f.char}`] : [])]),
      }));
    this.log(completionScript(args.shell as 'bash' | 'zsh', this.config.bin, commands));
  }
}
