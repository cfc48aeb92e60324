/**
 * `@bufbuild/protobuf`'s BinaryReader (what the SDK's ts-proto code reads
 * with) with strings read through a cache.
 *
 * Why: a request's keys and values repeat (apiVersion, kind, labels, names),
 * and making each one a new string (`String.fromCharCode` over an array of
 * its bytes) and then, for keys, looking it up in V8's string table when it
 * becomes a property name (a string used as one before is already linked to
 * its entry there), was about a third of decoding. Short ASCII strings
 * are looked up instead, by a few of their bytes, in a small table of strings
 * read before (and compared in full); anything else is read as the SDK
 * reads it.
 */
import { BinaryReader, getTextEncoding } from '@bufbuild/protobuf/wire';

/** Longest string (in bytes) the cache holds. */
const CACHED_LENGTH = 64;
/**
 * Sets of two slots: a string goes into its set's first, moving what was
 * there to the second. 8,192 strings of up to 64 bytes: at most about 1 MiB.
 */
const SET_BITS = 12;
const table: string[] = new Array<string>(2 << SET_BITS).fill('');
/**
 * Each slot's hash, compared before its string: most lookups that miss
 * then touch only this compact array, not a string somewhere in the heap.
 */
const hashes = new Int32Array(2 << SET_BITS);

const decodeUtf8 = (bytes: Uint8Array): string => getTextEncoding().decodeUtf8(bytes);

/** Whether `text` (ASCII) is the bytes from `start` on. */
function equals(text: string, bytes: Buffer, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/** The text of `bytes[start, end)`, as `BinaryReader#string` reads it (replacement characters for invalid UTF-8). */
function decodeText(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > CACHED_LENGTH) return decodeUtf8(bytes.subarray(start, end));
  if (length === 0) return '';
  // A few bytes pick the slot; the comparison below reads them all (and finds non-ASCII).
  const first = bytes[start] as number;
  const last = bytes[end - 1] as number;
  const middle = bytes[start + (length >>> 1)] as number;
  let hash = Math.imul(length ^ (first << 8) ^ (last << 16) ^ (middle << 24), 0x9e3779b1);
  if (length > 3) hash = Math.imul(hash ^ (bytes[start + 1] as number) ^ ((bytes[end - 2] as number) << 8), 0x85ebca6b);
  const slot = (hash >>> (32 - SET_BITS)) << 1;
  if (hashes[slot] === hash) {
    const cached = table[slot] as string;
    if (cached.length === length && equals(cached, bytes, start)) return cached;
  }
  if (hashes[slot + 1] === hash) {
    const cached = table[slot + 1] as string;
    if (cached.length === length && equals(cached, bytes, start)) return cached;
  }
  for (let i = start; i < end; i++) if ((bytes[i] as number) > 0x7f) return decodeUtf8(bytes.subarray(start, end));
  const text = bytes.toString('latin1', start, end);
  table[slot + 1] = table[slot] as string;
  hashes[slot + 1] = hashes[slot] as number;
  table[slot] = text;
  hashes[slot] = hash;
  return text;
}

/** A BinaryReader that also reads strings through the cache ({@link text}). */
export class Reader extends BinaryReader {
  /** The bytes being read, as a Buffer (for its native latin1 decoding, and for comparing in place: struct-match.ts). */
  readonly source: Buffer;

  constructor(bytes: Uint8Array) {
    super(bytes);
    this.source = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A string field, as `string()` reads it. */
  text(): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError('premature EOF');
    this.pos = end;
    return decodeText(this.source, start, end);
  }
}
