/** SGR colours for status words (doctor's pass/WARN/FAIL, findings' severities); the caller decides whether to paint. */
const SGR = {red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2} as const
export type Colour = keyof typeof SGR

/** Paints text with one SGR colour when `on`. */
export function paint(text: string, colour: Colour, on: boolean): string {
  return on ? `\u001B[${SGR[colour]}m${text}\u001B[0m` : text
}
