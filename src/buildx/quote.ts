/** POSIX shell quoting, so a printed command can be pasted back into sh, bash or zsh. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/

export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ')
}
