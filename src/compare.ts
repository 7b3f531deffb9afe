/** Orders strings by UTF-16 code units: the same order on every machine, whatever its locale (unlike localeCompare). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
