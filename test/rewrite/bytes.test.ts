/** Fixes are spliced into the original bytes: Latin-1, CRLF and a BOM survive on every line no rule touched. */
import {randomBytes} from 'node:crypto'

import t from 'tap'

import {builtinRules} from '../../plugins/index.js'
import {applyFixes, decodeBytes, encodeText, rewriteDockerfile} from '../../src/rewrite/index.js'

/** A Latin-1 Dockerfile, as a Windows editor in a Western European locale saves it: BOM-less, CRLF. */
const LATIN1 = Buffer.concat([
  Buffer.from('# Auteur: Fran', 'latin1'),
  Buffer.of(0xe7), // ç in Latin-1: not UTF-8
  Buffer.from('ois M', 'latin1'),
  Buffer.of(0xfc), // ü
  Buffer.from('ller\r\nFROM docker.io/library/node:20\r\nLABEL description="Caf', 'latin1'),
  Buffer.of(0xe9, 0x20, 0xa9), // é ©
  Buffer.from(' 2024"\r\nRUN echo "', 'latin1'),
  Buffer.of(0xff, 0xfe, 0xc3), // bytes that start no valid sequence, and a lead byte cut short
  Buffer.from('" > /x\r\n', 'latin1'),
])
const MIRRORS = {mirrors: {'docker.io/library/node': 'mirror.example/node'}}

t.test('decodeBytes and encodeText round-trip any bytes', async (t) => {
  for (let i = 0; i < 500; i++) {
    const bytes = randomBytes(i % 64)
    if (!encodeText(decodeBytes(bytes)).equals(bytes)) t.fail('lost bytes', {bytes: bytes.toString('hex')})
  }
  const utf8 = Buffer.from('\uFEFFFROM x\r\nRUN echo "h\u00e9 \u{1F600} \u00e7"\n', 'utf8')
  t.equal(decodeBytes(utf8), utf8.toString('utf8'), 'valid UTF-8 decodes as usual, BOM kept')
  t.ok(encodeText(decodeBytes(utf8)).equals(utf8))
  t.ok(encodeText(decodeBytes(LATIN1)).equals(LATIN1), 'Latin-1 round-trips')
  // an overlong, a surrogate, a value above U+10FFFF: invalid, so kept as bytes
  const invalid = Buffer.of(0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0x41)
  t.ok(encodeText(decodeBytes(invalid)).equals(invalid))
  t.equal(decodeBytes(invalid).length, 10, 'one character per invalid byte')
})

t.test('a fix on one line keeps every byte of the others (Latin-1, CRLF)', async (t) => {
  const text = decodeBytes(LATIN1)
  const result = await rewriteDockerfile(builtinRules, {text, bytes: LATIN1, file: 'Dockerfile', config: MIRRORS})
  t.ok(result.changed)
  const expected = Buffer.from(LATIN1.toString('latin1').replace('FROM docker.io/library/node:20', 'FROM mirror.example/node:20'), 'latin1')
  t.equal(result.bytes.toString('hex'), expected.toString('hex'), 'only the FROM line changed, byte for byte')
})

t.test('a BOM, CRLF and UTF-8 before the edit shift no byte offset', async (t) => {
  const source = Buffer.from('\uFEFF# \u00e9t\u00e9 \u{1F600}\r\nFROM node:20 AS b\u00e2se\r\n', 'utf8')
  const withLatin1 = Buffer.concat([source, Buffer.of(0xe9, 0x0d, 0x0a)])
  const text = decodeBytes(withLatin1)
  const start = text.indexOf('node:20')
  const applied = applyFixes(
    text,
    [{ruleId: 'r', severity: 'info', message: '', line: 2, fix: [{range: [start, start + 'node:20'.length], text: 'm.example/node:20'}]}],
    withLatin1,
  )
  const expected = Buffer.concat([
    Buffer.from('\uFEFF# \u00e9t\u00e9 \u{1F600}\r\nFROM m.example/node:20 AS b\u00e2se\r\n', 'utf8'),
    Buffer.of(0xe9, 0x0d, 0x0a),
  ])
  t.equal(applied.bytes.toString('hex'), expected.toString('hex'))
  t.equal(applied.text, decodeBytes(expected))
})

t.test('an edit that carries escaped bytes writes them back as the same bytes', async (t) => {
  const text = decodeBytes(Buffer.from('RUN a\n', 'latin1'))
  const escaped = decodeBytes(Buffer.of(0xe9))
  const applied = applyFixes(text, [{ruleId: 'r', severity: 'info', message: '', line: 1, fix: [{range: [4, 5], text: `b${escaped}`}]}])
  t.ok(applied.bytes.equals(Buffer.concat([Buffer.from('RUN b'), Buffer.of(0xe9), Buffer.from('\n')])))
})
