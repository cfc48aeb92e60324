/**
 * google.protobuf.Struct, Value and ListValue straight between wire bytes and
 * plain JavaScript values: the shape the SDK's messages carry (`{ [key]: any }`),
 * without the SDK's intermediate `Struct`/`Value` objects, `Object.entries`
 * arrays and per-entry objects. Encoding writes back to front (writer.ts);
 * decoding reads with `@bufbuild/protobuf`'s BinaryReader (reader.ts).
 *
 * Behaviour follows the SDK's ts-proto code (`Struct.wrap`/`Value.wrap` when
 * encoding, `Value.unwrap` when decoding) so bytes and values are identical;
 * the deliberate differences (Struct keys written sorted, a Date written as its
 * ISO 8601 string rather than {}, malformed input refused rather than read on)
 * are in docs/function.md.
 */
import type { Reader } from './reader.js';
import { longPrefix, prefix, type Writer } from './writer.js';

/**
 * A JSON-like value as the SDK's Struct fields hold it. `unknown` on purpose:
 * the SDK types Struct contents as `any`; we narrow at runtime like `Value.wrap`.
 */
export type StructObject = Record<string, unknown>;

// Tags (field number << 3 | wire type), as ts-proto writes them.
const STRUCT_FIELDS = 10; // Struct.fields, map<string, Value>: entry messages
const ENTRY_KEY = 10;
const ENTRY_VALUE = 18;
const VALUE_NULL = 8; // Value.null_value, varint
const VALUE_NUMBER = 17; // Value.number_value, 64-bit
const VALUE_STRING = 26;
const VALUE_BOOL = 32;
const VALUE_STRUCT = 42;
const VALUE_LIST = 50;
const LIST_VALUES = 10;

/**
 * The SDK's decoders refuse nesting of 100 messages or more (each JSON object
 * level is three: Struct, map entry, Value). Same limit, so the same requests
 * are accepted; it also keeps recursion far from the stack's end.
 */
export const MAX_DECODE_DEPTH = 100;

/**
 * A key the SDK drops silently: it assigns Struct and map entries with
 * `obj[key] = value`, and for `__proto__` that sets the prototype instead of
 * adding a key. We drop it too (same bytes, same values), and never touch a
 * prototype.
 */
export const PROTO_KEY = '__proto__';

/**
 * Writes the fields of a Struct (not its tag or length) for a plain object,
 * as `Struct.encode(Struct.wrap(object))` does for the object with its keys
 * sorted, ending at `end` (writer.ts writes back to front); returns where they
 * start. Keys are written in the order an object built by inserting them
 * sorted would list them ({@link sortKeys}) whatever order the object holds
 * them in, so the bytes depend on content only: the handler composes objects
 * in whatever order is natural and never copies them to reorder.
 */
export function writeStruct(w: Writer, object: object, end: number): number {
  // The hot loop of the encoder: tags and one-byte lengths are written inline
  // (the optimizing compiler does not inline `prefix` this deep).
  const buf = w.buf;
  const keys = sortedKeys(object);
  let p = end;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i] as string;
    if (key.length === PROTO_KEY.length && key === PROTO_KEY) continue;
    const value: unknown = (object as StructObject)[key];
    if (value === undefined) continue;
    const entryEnd = p;
    if (typeof value === 'string') {
      p = w.stringValue(value, p);
    } else {
      p = writeValue(w, value, p);
      const size = entryEnd - p;
      if (size < 0x80) {
        buf[p - 1] = size;
        buf[p - 2] = ENTRY_VALUE;
        p -= 2;
      } else p = longPrefix(buf, p, ENTRY_VALUE, size);
    }
    if (key.length !== 0) p = w.key(key, p);
    const size = entryEnd - p;
    if (size < 0x80) {
      buf[p - 1] = size;
      buf[p - 2] = STRUCT_FIELDS;
      p -= 2;
    } else p = longPrefix(buf, p, STRUCT_FIELDS, size);
  }
  return p;
}

const ARRAY_INDEX = /^(?:0|[1-9][0-9]{0,9})$/;

/** `Object.keys(object)` in {@link sortKeys} order; sorted only when they are not in order already (the common case). */
export function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      sortKeys(keys);
      break;
    }
  }
  return keys;
}

/**
 * Sorts `Object.keys` output in place into the order of an object whose keys
 * were inserted sorted: array-index keys ("0", "10") come first in numeric
 * order in any object (Object.keys already lists them so), the rest in UTF-16
 * code unit order. The same as `Object.keys` of `canonical()`'s output (schema/canonical.ts).
 */
export function sortKeys(keys: string[]): void {
  let names = 0;
  while (names < keys.length && ARRAY_INDEX.test(keys[names] as string) && Number(keys[names]) < 2 ** 32 - 1) names++;
  if (names === 0) {
    keys.sort();
    return;
  }
  const sorted = keys.slice(names).sort();
  for (let i = 0; i < sorted.length; i++) keys[names + i] = sorted[i] as string;
}

/**
 * Writes the fields of a Value, as `Value.encode(Value.wrap(value))`, ending
 * at `end`: undefined is an empty Value. (`typeof` comparisons rather than a
 * switch: the optimizing compiler turns those into type checks, a switch
 * into a call.)
 */
function writeValue(w: Writer, value: unknown, end: number): number {
  const buf = w.buf;
  if (typeof value === 'string') {
    const p = w.text(value, end);
    return prefix(buf, p, VALUE_STRING, end - p);
  }
  if (typeof value === 'object') {
    if (value === null) {
      buf[end - 1] = 0;
      buf[end - 2] = VALUE_NULL;
      return end - 2;
    }
    let p = end;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const itemEnd = p;
        p = writeValue(w, value[i], p);
        p = prefix(buf, p, LIST_VALUES, itemEnd - p);
      }
      return prefix(buf, p, VALUE_LIST, end - p);
    }
    // The SDK writes a Date as {} (a Struct of its own keys: none); say what time it was instead.
    if (value instanceof Date) {
      const q = w.text(value.toISOString(), end);
      return prefix(buf, q, VALUE_STRING, end - q);
    }
    // Any other object is a Struct of its own enumerable keys.
    p = writeStruct(w, value, end);
    return prefix(buf, p, VALUE_STRUCT, end - p);
  }
  if (typeof value === 'number') {
    const p = w.double(value, end);
    buf[p - 1] = VALUE_NUMBER;
    return p - 1;
  }
  if (typeof value === 'boolean') {
    buf[end - 1] = value ? 1 : 0;
    buf[end - 2] = VALUE_BOOL;
    return end - 2;
  }
  if (value === undefined) return end;
  throw new Error(`Unsupported any value type: ${typeof value}`);
}

/** Throws unless a length-delimited field of `length` bytes fits before `end`; returns where it ends. */
export function fieldEnd(reader: Reader, length: number, end: number): number {
  const fieldEnd = reader.pos + length;
  if (fieldEnd > end) throw new RangeError('premature EOF: field longer than its enclosing message');
  return fieldEnd;
}

/** Throws unless a nested message was read exactly to its end. */
export function expectEnd(reader: Reader, end: number): void {
  if (reader.pos !== end) throw new RangeError('premature EOF: field overruns its enclosing message');
}

/**
 * Skips an unknown field. Tag 0 and end-group tags are malformed here; the
 * SDK stops reading the message at them and carries on misaligned, we refuse.
 */
export function skipField(reader: Reader, tag: number, end: number): void {
  const wireType = tag & 7;
  if (tag >>> 3 === 0 || wireType === 4) throw new Error(`illegal tag ${tag}`);
  reader.skip(wireType, tag >>> 3);
  if (reader.pos > end) throw new RangeError('premature EOF: unknown field overruns its enclosing message');
}

function checkDepth(depth: number): void {
  if (depth >= MAX_DECODE_DEPTH) throw new Error('protobuf decode recursion limit exceeded');
}

/**
 * Moves to the next entry of the Struct whose fields end at `structEnd`
 * (`depth`: the Struct's), skipping unknown fields; returns where the entry
 * ends, or -1 when the Struct has no more.
 */
export function nextStructEntry(reader: Reader, structEnd: number, depth: number): number {
  while (reader.pos < structEnd) {
    const tag = reader.uint32();
    if (tag === STRUCT_FIELDS) {
      checkDepth(depth + 1);
      return fieldEnd(reader, reader.uint32(), structEnd);
    }
    skipField(reader, tag, structEnd);
  }
  return -1;
}

/**
 * Which keys of a Struct to read, and how much of each: undefined reads the
 * whole value; a nested pruning reads only those keys of a Struct value (a value
 * of another kind is read whole). Keys not listed are skipped over, undecoded.
 */
export type StructPruning = ReadonlyMap<string, StructPruning | undefined>;

/**
 * Reads a length-prefixed Struct at `reader.pos` into a plain object, as
 * `Struct.unwrap(Struct.decode(...))`. `depth` counts enclosing messages. With
 * `pruning`, only the keys it lists are in the object (see {@link StructPruning}).
 */
export function readStruct(reader: Reader, end: number, depth: number, pruning?: StructPruning): StructObject {
  checkDepth(depth);
  const structEnd = fieldEnd(reader, reader.uint32(), end);
  const object: StructObject = {};
  for (let entryEnd = nextStructEntry(reader, structEnd, depth); entryEnd >= 0; entryEnd = nextStructEntry(reader, structEnd, depth)) {
    let key: string | undefined;
    let value: unknown;
    while (reader.pos < entryEnd) {
      const entryTag = reader.uint32();
      if (entryTag === ENTRY_KEY) key = reader.text();
      else if (entryTag !== ENTRY_VALUE) skipField(reader, entryTag, entryEnd);
      // Pruned: a key not wanted is skipped (every encoder writes the key first; if not, the value is read).
      else if (pruning !== undefined && key !== undefined && !pruning.has(key)) skipField(reader, entryTag, entryEnd);
      else value = readValue(reader, entryEnd, depth + 2, pruning === undefined || key === undefined ? undefined : pruning.get(key));
    }
    key ??= '';
    expectEnd(reader, entryEnd);
    // An entry whose Value has no kind set unwraps to undefined; the SDK leaves such keys out.
    if (value !== undefined && key !== PROTO_KEY && (pruning === undefined || pruning.has(key))) object[key] = value;
  }
  expectEnd(reader, structEnd);
  return object;
}

/** Reads a length-prefixed ListValue into an array, as `ListValue.unwrap(ListValue.decode(...))`. */
function readList(reader: Reader, end: number, depth: number): unknown[] {
  checkDepth(depth);
  const listEnd = fieldEnd(reader, reader.uint32(), end);
  const values: unknown[] = [];
  while (reader.pos < listEnd) {
    const tag = reader.uint32();
    // An empty Value in a list stays in it as undefined, as in the SDK.
    if (tag === LIST_VALUES) values.push(readValue(reader, listEnd, depth + 1));
    else skipField(reader, tag, listEnd);
  }
  expectEnd(reader, listEnd);
  return values;
}

/**
 * Reads a length-prefixed Value, as `Value.unwrap(Value.decode(...))`. A
 * well-formed Value sets one kind; should several be present, the SDK's
 * unwrap order decides (string, number, bool, struct, list, null), and a
 * repeated kind replaces the earlier one.
 */
function readValue(reader: Reader, end: number, depth: number, pruning?: StructPruning): unknown {
  checkDepth(depth);
  const valueEnd = fieldEnd(reader, reader.uint32(), end);
  let string: string | undefined;
  let number: number | undefined;
  let bool: boolean | undefined;
  let struct: StructObject | undefined;
  let list: unknown[] | undefined;
  let isNull = false;
  while (reader.pos < valueEnd) {
    const tag = reader.uint32();
    switch (tag) {
      case VALUE_STRING:
        string = reader.text();
        break;
      case VALUE_NUMBER:
        number = reader.double();
        break;
      case VALUE_BOOL:
        bool = reader.bool();
        break;
      case VALUE_STRUCT:
        struct = readStruct(reader, valueEnd, depth + 1, pruning);
        break;
      case VALUE_LIST:
        list = readList(reader, valueEnd, depth + 1);
        break;
      case VALUE_NULL:
        reader.int32();
        isNull = true;
        break;
      default:
        skipField(reader, tag, valueEnd);
    }
  }
  expectEnd(reader, valueEnd);
  if (string !== undefined) return string;
  if (number !== undefined) return number;
  if (bool !== undefined) return bool;
  if (struct !== undefined) return struct;
  if (list !== undefined) return list;
  return isNull ? null : undefined;
}
