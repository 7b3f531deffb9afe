/** POSIX shell quoting, so a printed command can be pasted back into sh, bash or zsh. */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/
// eslint-disable-next-line no-control-regex -- a word with control characters is printed another way
const CONTROL = /[\u0000-\u001f\u007f]/gu

/** One word for a script sh runs (dash included): single quotes, which keep every byte as it is. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * A command line to print, and to paste back: a word with a control character in it is written as
 * $'…' (bash, zsh, ksh and POSIX.1-2024 sh) with that character as an octal escape, so the printed
 * line holds no byte a terminal would obey.
 */
export function shellCommand(words: readonly string[]): string {
  return words
    .map((word) =>
      word.search(CONTROL) >= 0
        ? `$'${word.replace(/[\\']/g, (char) => `\\${char}`).replace(CONTROL, (char) => `\\${char.charCodeAt(0).toString(8).padStart(3, '0')}`)}'`
        : shellQuote(word),
    )
    .join(' ')
}
