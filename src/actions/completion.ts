/**
 * `dbuild completion SHELL`: shell completion scripts for bash, zsh and fish, generated from the
 * command table and the buildx flag table (which the CLI hands over), so they list exactly what
 * this dbuild accepts.
 */
import type {CommandAction, CompletionCommand} from './command-io.js'

/** What completion offers: every command, and the build's flags (buildx's and dbuild's own, long and short). */
type CompletionWords = {commands: readonly CompletionCommand[]; buildFlags: readonly string[]}

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

/** Words after `dbuild` + key: the next command words (topics' subcommands) and the key's flags. */
function wordsByKey({commands, buildFlags}: CompletionWords): Map<string, string[]> {
  const byKey = new Map<string, Set<string>>([['', new Set(['help'])]])
  const add = (key: string, words: string[]) => {
    const set = byKey.get(key) ?? new Set<string>()
    for (const word of words) set.add(word)
    byKey.set(key, set)
  }
  for (const command of commands) {
    const parts = command.id.split(/[ :]/)
    for (let i = 0; i < parts.length; i++) add(parts.slice(0, i).join(' '), [parts[i] as string])
    add(parts.join(' '), command.id === 'build' ? [...buildFlags] : [...command.flags, '--help', ...(command.values ?? [])])
  }
  // the bare form: buildx flags right after dbuild
  add('', [...buildFlags])
  return new Map([...byKey].map(([key, words]) => [key, [...words].sort()]))
}

function bash(words: CompletionWords): string {
  const cases = [...wordsByKey(words)].map(([key, words]) => `    "${key}") echo "${words.join(' ')}" ;;`).join('\n')
  return `# dbuild completion for bash: eval "$(dbuild completion bash)" in ~/.bashrc
_dbuild_words() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
_dbuild() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" key="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    if _dbuild_words "\${key:+$key }$word" >/dev/null; then key="\${key:+$key }$word"; else break; fi
  done
  COMPREPLY=($(compgen -W "$(_dbuild_words "$key")" -- "$cur"))
  # paths wherever flags are (a command's arguments, the bare form's context), not after a topic
  case "$cur" in -*) ;; *) case " $(_dbuild_words "$key") " in *" -"*) COMPREPLY+=($(compgen -f -- "$cur")) ;; esac ;; esac
}
complete -o filenames -F _dbuild dbuild
`
}

function zsh(words: CompletionWords): string {
  return `# dbuild completion for zsh: eval "$(dbuild completion zsh)" in ~/.zshrc
autoload -U +X bashcompinit && bashcompinit
${bash(words).split('\n').slice(1).join('\n')}`
}

function fish({commands, buildFlags}: CompletionWords): string {
  const lines = ['# dbuild completion for fish: dbuild completion fish > ~/.config/fish/completions/dbuild.fish']
  const tops = [...new Set(commands.map((command) => command.id.split(/[ :]/)[0] as string)), 'help']
  lines.push(`complete -c dbuild -f -n '__fish_use_subcommand' -a '${tops.join(' ')}'`)
  const flag = (condition: string, word: string) => {
    const option = word.startsWith('--') ? `-l ${word.slice(2)}` : `-s ${word.slice(1)}`
    lines.push(`complete -c dbuild -n '${condition}' ${option}`)
  }
  for (const word of buildFlags) flag('__fish_use_subcommand', word)
  for (const command of commands) {
    const parts = command.id.split(/[ :]/)
    if (parts.length === 2) {
      const siblings = commands.filter((other) => other.id.split(/[ :]/)[0] === parts[0]).map((other) => other.id.split(/[ :]/)[1])
      lines.push(
        `complete -c dbuild -f -n '__fish_seen_subcommand_from ${parts[0]}; and not __fish_seen_subcommand_from ${siblings.join(' ')}' -a '${parts[1]}'`,
      )
    }
    const words = command.id === 'build' ? buildFlags : [...command.flags, '--help']
    for (const word of words) flag(`__fish_seen_subcommand_from ${parts.at(-1)}`, word)
  }
  return `${lines.join('\n')}\n`
}

export function completionScript(shell: Shell, words: CompletionWords): string {
  return {bash, zsh, fish}[shell](words)
}

/** `dbuild completion SHELL`: the script, from the command table the CLI hands over. */
const completion: CommandAction = async ({args}, io): Promise<void> => {
  process.stdout.write(completionScript(args.shell as Shell, io.completion()))
}

export default completion
