/**
 * Standard input, read once: `bake --file -` needs the definition twice (for the `--print` dbuild
 * resolves it with, and as what the real bake builds), and a pipe can be read only once.
 */
export async function readAllStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}
