/** Types of node.js (plain JavaScript, for test/run.js and the benchmark). */
export const THIS_NODE_MAJOR: number
export function nodeBinary(major: number, log?: (message: string) => void): string
