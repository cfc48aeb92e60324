/**
 * Protobuf encoding into a binary string: one character per byte (0-255),
 * turned into bytes once, at the end, by `Buffer.from(binary, 'latin1')`.
 *
 * Why not BinaryWriter: messages are built inside out by concatenation, so
 * every length is known when it is written, V8 joins the pieces as ropes (no
 * copying while building), and all text is copied once, in native code. Going
 * through `@bufbuild/protobuf`'s BinaryWriter instead (a length prefix
 * reserved and patched for every nested message, text copied a character at
 * a time in JavaScript) measured barely faster than the SDK itself; this is
 * about twice as fast on a prod Environment's response (docs/benchmark.md).
 *
 * A JavaScript string stands for its own UTF-8 bytes only when it is ASCII.
 * {@link encodeBinary} first assumes it is, collecting all text to check in
 * one go, and encodes again converting text only if some was not.
 */

/** Every byte as a one-character string. */
const BYTE = Array.from({ length: 256 }, (_, byte) => String.fromCharCode(byte));
const NON_ASCII = /[^\x00-\x7f]/;
const doubleView = new DataView(new ArrayBuffer(8));

/** Tag and one-byte length of every length-delimited field under 128 bytes, precomputed: the commonest prefix. */
const SHORT_PREFIX: string[][] = Array.from({ length: 128 }, (_, tag) => ((tag & 7) === 2 ? Array.from({ length: 128 }, (_, length) => (BYTE[tag] as string) + BYTE[length]) : []));

/** An unsigned varint (0 to 2^32-1). */
function varint(value: number): string {
  let out = '';
  while (value > 0x7f) {
    out += BYTE[(value & 0x7f) | 0x80];
    value >>>= 7;
  }
  return out + BYTE[value];
}

/** A signed varint of up to 64 bits, as protobuf writes int32 and int64 (negative numbers take ten bytes). */
function varint64(value: number): string {
  if (value >= 0 && value <= 0xffffffff && Number.isInteger(value)) return varint(value);
  // Rare (negative enums, TTLs past 2^32 s): exact two's complement through BigInt.
  let rest = BigInt.asUintN(64, BigInt(value));
  let out = '';
  while (rest > 0x7fn) {
    out += BYTE[Number(rest & 0x7fn) | 0x80];
    rest >>= 7n;
  }
  return out + BYTE[Number(rest)];
}

/**
 * Collects the pieces of one message. Tags are single bytes (field numbers
 * under 16), which all of RunFunctionResponse's are.
 */
export class BinaryStringEncoder {
  /** All text given to {@link utf8} in the fast pass, checked once for non-ASCII. */
  text = '';

  constructor(private readonly convertText: boolean) {}

  /** Text as its UTF-8 bytes. */
  utf8(text: string): string {
    if (!this.convertText) {
      this.text += text;
      return text;
    }
    return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
  }

  /** A length-delimited field: tag, length, content (already bytes). */
  delimited(tag: number, content: string): string {
    const length = content.length;
    const prefix = length < 0x80 ? SHORT_PREFIX[tag]?.[length] : undefined;
    return (prefix ?? (BYTE[tag] as string) + varint(length)) + content;
  }

  /** A string field. */
  string(tag: number, text: string): string {
    return this.delimited(tag, this.utf8(text));
  }

  /** A bytes field. */
  bytes(tag: number, value: Uint8Array): string {
    return this.delimited(tag, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
  }

  /** An int32, int64, enum or bool field (varint wire type). */
  varint(tag: number, value: number): string {
    return (BYTE[tag] as string) + varint64(value);
  }

  /** A double field: 8 bytes little-endian. NaN, ±Infinity and -0 go out as they are, like the SDK. */
  double(tag: number, value: number): string {
    doubleView.setFloat64(0, value, true);
    let out = BYTE[tag] as string;
    for (let i = 0; i < 8; i++) out += BYTE[doubleView.getUint8(i)];
    return out;
  }
}

/**
 * Runs `encode` assuming all text is ASCII and returns the bytes; if some text
 * was not, runs it again converting text to UTF-8. `encode` must be pure.
 */
export function encodeBinary(encode: (encoder: BinaryStringEncoder) => string): Buffer {
  const fast = new BinaryStringEncoder(false);
  let binary = encode(fast);
  if (NON_ASCII.test(fast.text)) binary = encode(new BinaryStringEncoder(true));
  return Buffer.from(binary, 'latin1');
}
