/**
 * The shell completion script `paas autocomplete` prints: command names (with their
 * colons, which bash otherwise splits words on), each command's flags, and app names
 * for -a/--app, asked of the API at the moment of completion (`paas apps --json`), so
 * they are never stale. zsh runs the same function through bashcompinit.
 */

export interface CompletionCommand {
  id: string;
  aliases: string[];
  flags: string[];
}

/** Safe inside a bash single-quoted word list: ids and flags are [a-z0-9:-]. */
const words = (xs: string[]): string => xs.filter((x) => /^[a-z0-9:-]+$/i.test(x)).join(' ');

export function completionScript(shell: 'bash' | 'zsh', bin: string, commands: CompletionCommand[]): string {
  const names = [...new Set(commands.flatMap((c) => [c.id, ...c.aliases]))].sort();
  const cases = commands
    .filter((c) => c.flags.length > 0)
    .map((c) => `    ${[c.id, ...c.aliases].join('|')}) flags='${words(c.flags)}' ;;`)
    .join('\n');
  const fn = `_${bin}_complete() {
  local cur prev flags
  COMP_WORDBREAKS=\${COMP_WORDBREAKS//:}
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W '${words(names)}' -- "$cur") )
    return
  fi
  case "$prev" in
    -a|--app)
      COMPREPLY=( $(compgen -W "$(${bin} apps --json 2>/dev/null | sed -n 's/^ *"name": *"\\([a-z0-9-]*\\)".*/\\1/p')" -- "$cur") )
      return ;;
  esac
  flags=''
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$flags" -- "$cur") )
}
complete -F _${bin}_complete ${bin}
`;
  const head = `# ${bin} completion for ${shell}: eval "$(${bin} autocomplete ${shell})" in your ~/.${shell}rc\n`;
  return shell === 'zsh' ? `${head}autoload -U +X bashcompinit && bashcompinit\n${fn}` : head + fn;
}
