/**
 * Protobuf encoding back to front, in one pass, into a reused buffer.
 *
 * Why backwards: a message's length prefix comes before it, and the size of
 * the prefix depends on the length. Written from the end, every message is
 * complete (its length known) by the time its prefix is written: no sizing
 * pass, no reserved and patched prefixes, nothing moved. Fields are visited
 * in reverse so that they come out in the SDK's order.
 *
 * Why text goes through a cache: turning a string into bytes costs either a
 * JavaScript loop (`charCodeAt` and a store per character: several ns each
 * on the cons, sliced and thin strings a response holds) or a native call
 * (about 100 ns of overhead each, for strings of a dozen characters). A
 * response's strings repeat (keys, kinds, API versions, names), in it and
 * from one response to the next, so each string's field is encoded once and
 * kept, and copied into place a 32-bit word at a time. Strings not cached
 * (long ones, and new ones past a per-message budget) are written directly.
 *
 * Tags are single bytes (field numbers under 16), which all of
 * RunFunctionResponse's are.
 */

/** Initial size of the buffer; it grows to the largest message encoded and stays. */
const INITIAL_CAPACITY = 64 * 1024;
/**
 * Bytes kept free at the start of the buffer: text is copied in whole words
 * ending where it ends, so up to 3 bytes before a string are overwritten
 * (later overwritten again by what precedes it). A pass whose message starts
 * in them runs again with more room.
 */
export const HEADROOM = 4;
/** Longer strings (in UTF-16 units) are written natively, not cached: rare, and the call's overhead is small next to them. */
const CACHED_TEXT = 256;
/** Strings up to this long, ASCII and not cached, are copied by a loop rather than a native call (about 100 ns of overhead). */
const SHORT_TEXT = 32;
/**
 * Strings added to the cache per message at most; the rest are written
 * natively. Caching a string costs more than writing it once, so a message
 * of mostly distinct strings (more than the cache holds) would be slower
 * than without the cache; this keeps it about as fast.
 */
const CACHE_ADDS = 1024;
/** Bytes of the cache of encoded strings, at first and at most; when full at most, it starts over. */
const CACHE_BYTES = 64 * 1024;
const MAX_CACHE_BYTES = 1024 * 1024;

/** Bytes of an unsigned varint (0 to 2^32-1). */
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** Bytes of a length-delimited field (one-byte tag, length, content). */
function fieldSize(contentSize: number): number {
  return 1 + varintSize(contentSize) + contentSize;
}

/**
 * Writes a field's tag and length (`length` bytes of content that start at
 * `start`) before `start`; returns where they start.
 */
export function prefix(buf: Uint8Array, start: number, tag: number, length: number): number {
  if (length < 0x80) {
    buf[start - 1] = length;
    buf[start - 2] = tag;
    return start - 2;
  }
  return longPrefix(buf, start, tag, length);
}

/** {@link prefix} for lengths of 128 bytes or more: kept apart so that the common case is small enough to be inlined. */
export function longPrefix(buf: Uint8Array, start: number, tag: number, length: number): number {
  let p = start - varintSize(length);
  const begin = p;
  while (length > 0x7f) {
    buf[p++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  buf[p] = length;
  buf[begin - 1] = tag;
  return begin - 1;
}

/** Words are read from the cache in the platform's byte order and must be written back the same way. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** What a cached string is encoded as. */
const enum Field {
  /** Its bytes alone. */
  Text,
  /** A map entry's key field (tag, length, bytes): Struct entries' and the response's maps'. */
  Key,
  /** A Struct entry's value field holding a Value whose string field holds it. */
  StringValue,
}

const KEY_TAG = 10;
const ENTRY_VALUE_TAG = 18;
const STRING_VALUE_TAG = 26;

const doubleBytes = new Uint8Array(8);
const doubleView = new DataView(doubleBytes.buffer);

/**
 * State of one encoding. Writes below index 0 (the buffer too small) are
 * ignored by the typed array, positions keep counting down, so the pass
 * still finds out the size it needs, and runs again with room for it.
 */
export class Writer {
  buf: Buffer;
  private view: DataView;
  /**
   * Encoded strings, one after the other: at an entry's index its number of
   * bytes, then the bytes right-aligned in whole words (zeros before), so
   * that they are copied ending exactly where the field ends; the up to 3
   * bytes of padding land before its start, where the message is not written
   * yet. Strings are immutable, so entries never go stale.
   */
  private arena = new Int32Array(CACHE_BYTES / 4);
  private arenaBytes = Buffer.from(this.arena.buffer);
  private arenaEnd = 0;
  /** Where each string's entry is in the arena, for each {@link Field}. */
  private readonly cached = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()] as const;

  /** Strings this message may still add to the cache. */
  private adds = CACHE_ADDS;

  /** `capacity`: the buffer's size to start with (tests start small, to make it grow). */
  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Starts a pass; returns the end of the buffer, where the message ends. */
  start(): number {
    this.adds = CACHE_ADDS;
    return this.buf.length;
  }

  /** Makes room for a message of `size` bytes after a pass that did not fit. */
  grow(size: number): void {
    this.buf = Buffer.allocUnsafe(Math.max(size + HEADROOM, this.buf.length * 2));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** A string field's content (UTF-8) ending at `end`; returns where it starts. */
  text(text: string, end: number): number {
    const entry = this.cached[Field.Text].get(text);
    return entry !== undefined ? this.copy(entry, end) : this.uncached(Field.Text, text, end);
  }

  /** A map entry's key field (field 1, a string) ending at `end`; returns where it starts. */
  key(key: string, end: number): number {
    const entry = this.cached[Field.Key].get(key);
    return entry !== undefined ? this.copy(entry, end) : this.uncached(Field.Key, key, end);
  }

  /** A Struct entry's value field for a string (Value field, string field, text) ending at `end`; returns where it starts. */
  stringValue(text: string, end: number): number {
    const entry = this.cached[Field.StringValue].get(text);
    return entry !== undefined ? this.copy(entry, end) : this.uncached(Field.StringValue, text, end);
  }

  /** Copies the arena's entry at `entry` to end at `end`; returns where it starts. */
  private copy(entry: number, end: number): number {
    const arena = this.arena;
    const size = arena[entry] as number;
    const last = entry + ((size + 3) >>> 2);
    let at = end - (last - entry) * 4;
    // Below 0 (DataView throws there) this pass has not fitted and runs again.
    if (at >= 0) {
      const view = this.view;
      for (let i = entry + 1; i <= last; i++, at += 4) view.setInt32(at, arena[i] as number, LITTLE_ENDIAN);
    }
    return end - size;
  }

  private uncached(field: Field, text: string, end: number): number {
    if (text.length <= CACHED_TEXT && this.adds > 0) {
      const entry = this.add(field, text);
      if (entry >= 0) return this.copy(entry, end);
    }
    // Not cached: written directly, tags and lengths in front.
    const size = Buffer.byteLength(text, 'utf8');
    const start = end - size;
    if (start >= 0) {
      if (size === text.length && size <= SHORT_TEXT) {
        // ASCII, and short enough that a loop beats a native call.
        const buf = this.buf;
        for (let i = 0; i < size; i++) buf[start + i] = text.charCodeAt(i);
      } else this.buf.write(text, start, size, 'utf8');
    }
    if (field === Field.Key) return prefix(this.buf, start, KEY_TAG, size);
    if (field === Field.StringValue) {
      const valueStart = prefix(this.buf, start, STRING_VALUE_TAG, size);
      return prefix(this.buf, valueStart, ENTRY_VALUE_TAG, end - valueStart);
    }
    return start;
  }

  /** Encodes `text` as `field` into the arena; returns its entry, or -1 if it cannot be cached. */
  private add(field: Field, text: string): number {
    this.adds--;
    const textSize = Buffer.byteLength(text, 'utf8');
    const size = field === Field.Key ? fieldSize(textSize) : field === Field.StringValue ? fieldSize(fieldSize(textSize)) : textSize;
    const words = (size + 3) >>> 2;
    if (this.arenaEnd + 1 + words > this.arena.length) {
      if (this.arena.length * 4 < MAX_CACHE_BYTES) {
        const arena = new Int32Array(this.arena.length * 2);
        arena.set(this.arena);
        this.arena = arena;
        this.arenaBytes = Buffer.from(arena.buffer);
      } else {
        // Full: start over (it holds far more than one response's strings).
        for (const map of this.cached) map.clear();
        this.arenaEnd = 0;
      }
    }
    const entry = this.arenaEnd;
    const bytes = this.arenaBytes;
    const textEnd = (entry + 1 + words) * 4;
    const textStart = textEnd - textSize;
    bytes.write(text, textStart, textSize, 'utf8');
    // The string kept as the key must not be a slice of a larger one (V8
    // keeps all of that alive with it): an object's keys never are, anything
    // else is kept as a copy read back from its bytes. Text that does not
    // read back the same (lone surrogates) is not cached.
    let key = text;
    if (field !== Field.Key) {
      key = textSize === text.length ? bytes.toString('latin1', textStart, textEnd) : bytes.toString('utf8', textStart, textEnd);
      if (key !== text) return -1;
    }
    this.arenaEnd += 1 + words;
    this.arena[entry] = size;
    if (field === Field.Key) prefix(bytes, textStart, KEY_TAG, textSize);
    else if (field === Field.StringValue) prefix(bytes, prefix(bytes, textStart, STRING_VALUE_TAG, textSize), ENTRY_VALUE_TAG, fieldSize(textSize));
    this.cached[field].set(key, entry);
    return entry;
  }

  /** Raw bytes ending at `end`; returns where they start. */
  bytes(value: Uint8Array, end: number): number {
    const start = end - value.length;
    if (start >= 0) this.buf.set(value, start);
    return start;
  }

  /** A double ending at `end`: 8 bytes little-endian; returns where they start. NaN, ±Infinity and -0 go out as they are, like the SDK. */
  double(value: number, end: number): number {
    doubleView.setFloat64(0, value, true);
    const buf = this.buf;
    const start = end - 8;
    for (let i = 0; i < 8; i++) buf[start + i] = doubleBytes[i] as number;
    return start;
  }

  /** A varint field (int32, int64, enum: up to 64 bits signed) ending at `end`; returns where it starts. */
  varint(tag: number, value: number, end: number): number {
    const buf = this.buf;
    // A tag and an unsigned varint are what a length prefix is.
    if (value >= 0 && value <= 0xffffffff && Number.isInteger(value)) return longPrefix(buf, end, tag, value);
    // Rare (negative enums, TTLs past 2^32 s): exact two's complement through BigInt; negative numbers take ten bytes.
    const bytes: number[] = [];
    let rest = BigInt.asUintN(64, BigInt(value));
    while (rest > 0x7fn) {
      bytes.push(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    bytes.push(Number(rest));
    const start = end - bytes.length;
    for (let i = 0; i < bytes.length; i++) buf[start + i] = bytes[i] as number;
    buf[start - 1] = tag;
    return start - 1;
  }

  /** A copy of the message written from `start` to the end of the buffer. */
  finish(start: number): Buffer {
    const out = Buffer.allocUnsafe(this.buf.length - start);
    this.buf.copy(out, 0, start);
    return out;
  }
}
