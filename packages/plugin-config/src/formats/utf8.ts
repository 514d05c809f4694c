import { isUtf8 } from 'node:buffer'
import { ConfigParseError } from '../errors.js'
import { positionAt, type Position } from './source.js'

const REPLACEMENT = '\uFFFD'
// U+FFFD written in the file itself, which is valid UTF-8 and must not be mistaken for a bad byte.
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT, 'utf8')
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The file's text, or a parse error at the first byte that is not UTF-8. TOML 1.0 requires
 * UTF-8 and JSON (RFC 8259) and YAML in practice do too; decoding with replacement characters
 * would serve `"\xff"` as `"\ufffd"` without a word. A UTF-8 byte order mark is dropped, since
 * Windows editors write one and no parser here expects it.
 */
export function decodeUtf8(bytes: Uint8Array, path: string): { ok: true; text: string } | { ok: false; error: ConfigParseError } {
  // One native call checks and decodes, and drops a byte order mark (ignoreBOM is off): a
  // save's small file took isUtf8, a Buffer view and toString before (issue 11).
  try {
    return { ok: true, text: STRICT_UTF8.decode(bytes) }
  } catch {
    // Not UTF-8: the slow path below finds where.
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (isUtf8(buffer)) {
    // Not reached: the decoder refused bytes isUtf8 accepts. Decode as before rather than fail.
    const text = buffer.toString('utf8')
    return { ok: true, text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text }
  }
  const { offset, position } = firstInvalidByte(buffer)
  const byte = buffer[offset] ?? 0
  const utf16 = offset < 2 && ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))
  return {
    ok: false,
    error: new ConfigParseError(`the file is not valid UTF-8: byte 0x${byte.toString(16).padStart(2, '0')} at offset ${offset} does not start or continue a UTF-8 character`, {
      path,
      ...position,
      hint: utf16
        ? 'The file looks like UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8.'
        : 'Save the file as UTF-8 (your editor\'s "encoding" setting), or remove the stray byte at this position.',
    }),
  }
}

/**
 * Where the first bad byte is, found with Node's own decoder: everything before the first
 * U+FFFD it produced decoded cleanly, so re-encoding that prefix gives the exact byte offset.
 * A U+FFFD that the file really contains (the bytes EF BF BD) is stepped over.
 */
function firstInvalidByte(buffer: Buffer): { offset: number; position: Position } {
  const text = buffer.toString('utf8')
  let offset = 0
  let from = 0
  for (let at = text.indexOf(REPLACEMENT); at >= 0; at = text.indexOf(REPLACEMENT, from)) {
    offset += Buffer.byteLength(text.slice(from, at), 'utf8')
    if (!buffer.subarray(offset, offset + REPLACEMENT_BYTES.length).equals(REPLACEMENT_BYTES)) return { offset, position: positionIn(text, at) }
    offset += REPLACEMENT_BYTES.length
    from = at + 1
  }
  // Not reached for a buffer isUtf8 refused; kept total so a caller never gets no position.
  return { offset: buffer.length, position: positionIn(text, text.length) }
}

/** Line and column (in UTF-16 code units, like every other position here) of a string index. */
function positionIn(text: string, index: number): Position {
  const at = positionAt(text, index)
  // A byte order mark is dropped before parsing, so it does not count as a column.
  return at.line === 1 && text.charCodeAt(0) === 0xfeff ? { line: 1, column: at.column - 1 } : at
}
