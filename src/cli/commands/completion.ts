import type { Command } from 'commander';
import { CliError } from '../client/errors.js';

/** `name → subcommands` of the program, one level deep, for the completion scripts. */
function commandTree(program: Command): Map<string, string[]> {
  const tree = new Map<string, string[]>();
  for (const command of program.commands) {
    tree.set(
      command.name(),
      command.commands.map((sub) => sub.name()),
    );
  }
  return tree;
}

export function bashCompletion(program: Command): string {
  const tree = commandTree(program);
  const cases = [...tree]
    .filter(([, subs]) => subs.length > 0)
    .map(([name, subs]) => `    ${name}) words="${subs.join(' ')}" ;;`)
    .join('\n');
  return `# claudeman bash completion: eval "$(claudeman completion bash)"
_claudeman() {
  local cur words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${[...tree.keys()].join(' ')}"
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${cases}
    *) words="" ;;
    esac
  fi
  if [[ "$cur" == -* ]]; then
    words="--help --json --url --token --data-dir"
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _claudeman claudeman
`;
}

export function zshCompletion(program: Command): string {
  const tree = commandTree(program);
  const top = [...tree.keys()]
    .map((name) => {
      const description = (program.commands.find((c) => c.name() === name)?.description() ?? '').replace(
        /[':]/g,
        ' ',
      );
      return `'${name}:${description}'`;
    })
    .join(' ');
  const cases = [...tree]
    .filter(([, subs]) => subs.length > 0)
    .map(([name, subs]) => `      ${name}) _values 'subcommand' ${subs.map((s) => `'${s}'`).join(' ')} ;;`)
    .join('\n');
  return `#compdef claudeman
# claudeman zsh completion: eval "$(claudeman completion zsh)", or save as _claudeman on $fpath
_claudeman() {
  if (( CURRENT == 2 )); then
    local -a commands
    commands=(${top})
    _describe 'command' commands
  elif (( CURRENT == 3 )); then
    case "\${words[2]}" in
${cases}
      *) _files ;;
    esac
  else
    _files
  fi
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _claudeman "$@"
else
  compdef _claudeman claudeman
fi
`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a completion script: eval "$(claudeman completion bash)" (or zsh)')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw new CliError(`unknown shell ${JSON.stringify(shell)}: expected bash or zsh`, 2);
    });
}
