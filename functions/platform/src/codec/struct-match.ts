/**
 * Whether encoded Struct content equals a value decoded before, without
 * decoding it: what incremental.ts asks of a request's EnvironmentConfigs on
 * every reconcile. Crossplane sends them with their maps in a new order each
 * time, so their bytes cannot be compared; decoding them to compare costs
 * more than the rest of a reused answer. This walks the bytes and compares
 * each key and value in place, against `expected` looked up by key.
 *
 * The answer is exactly `sameContent(readStruct(...), expected)`: anything
 * off the common shape (a duplicate key, a Value with no kind or several, an
 * entry whose value comes before its key, `__proto__`) is settled by decoding
 * that Struct and comparing. Bytes the decoder refuses are never found equal:
 * they throw as in the decoder, or are found different at a difference before
 * the fault (the caller then decodes them, and that throws).
 */
import { sameContent } from '../same-content.js';
import type { Reader } from './reader.js';
import { expectEnd, fieldEnd, MAX_DECODE_DEPTH, nextStructEntry, PROTO_KEY, readStruct, skipField } from './struct.js';

const ENTRY_KEY = 10;
const ENTRY_VALUE = 18;
const VALUE_NULL = 8;
const VALUE_NUMBER = 17;
const VALUE_STRING = 26;
const VALUE_BOOL = 32;
const VALUE_STRUCT = 42;
const VALUE_LIST = 50;
const LIST_VALUES = 10;

/** Thrown inside a match to say: decode this Struct and compare instead. */
const DECODE_INSTEAD = Symbol('decode instead');

function checkDepth(depth: number): void {
  if (depth >= MAX_DECODE_DEPTH) throw new Error('protobuf decode recursion limit exceeded');
}

const own = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/**
 * Keys of the Structs being matched, innermost last: each matchStruct checks
 * its keys for duplicates against its own stretch (Structs have a few keys;
 * a Set per Struct cost more than the comparison).
 */
const seenKeys: string[] = [];
let seenTop = 0;

/** Key counts of the expected objects, which are kept and compared again and again. */
const keyCounts = new WeakMap<object, number>();

function keyCount(object: object): number {
  let count = keyCounts.get(object);
  if (count === undefined) {
    count = Object.keys(object).length;
    keyCounts.set(object, count);
  }
  return count;
}

/**
 * Whether the length-prefixed Struct at `reader.pos` holds what `expected`
 * holds (see the module comment). Leaves the reader past the Struct when it
 * does; anywhere in it when it does not.
 */
export function structMatches(reader: Reader, end: number, depth: number, expected: unknown): boolean {
  const start = reader.pos;
  const top = seenTop;
  try {
    return matchStruct(reader, end, depth, expected);
  } catch (error) {
    if (error !== DECODE_INSTEAD) throw error;
    reader.pos = start;
    return sameContent(readStruct(reader, end, depth), expected);
  } finally {
    seenTop = top;
  }
}

function matchStruct(reader: Reader, end: number, depth: number, expected: unknown): boolean {
  checkDepth(depth);
  const structEnd = fieldEnd(reader, reader.uint32(), end);
  if (typeof expected !== 'object' || expected === null || Array.isArray(expected) || expected instanceof Uint8Array) return false;
  const base = seenTop;
  for (let entryEnd = nextStructEntry(reader, structEnd, depth); entryEnd >= 0; entryEnd = nextStructEntry(reader, structEnd, depth)) {
    if (reader.pos >= entryEnd || reader.uint32() !== ENTRY_KEY) throw DECODE_INSTEAD;
    const key = reader.text();
    if (key === PROTO_KEY || reader.pos >= entryEnd || reader.uint32() !== ENTRY_VALUE) throw DECODE_INSTEAD;
    for (let i = base; i < seenTop; i++) if (seenKeys[i] === key) throw DECODE_INSTEAD;
    seenKeys[seenTop++] = key;
    if (!own(expected, key) || !matchValue(reader, entryEnd, depth + 2, (expected as Record<string, unknown>)[key])) return false;
    if (reader.pos !== entryEnd) throw DECODE_INSTEAD;
  }
  expectEnd(reader, structEnd);
  const count = seenTop - base;
  seenTop = base;
  return count === keyCount(expected);
}

function matchValue(reader: Reader, end: number, depth: number, expected: unknown): boolean {
  checkDepth(depth);
  const valueEnd = fieldEnd(reader, reader.uint32(), end);
  if (reader.pos >= valueEnd) throw DECODE_INSTEAD;
  let same: boolean;
  switch (reader.uint32()) {
    case VALUE_STRING:
      same = matchText(reader, expected);
      break;
    case VALUE_NUMBER:
      same = Object.is(reader.double(), expected);
      break;
    case VALUE_BOOL:
      same = reader.bool() === expected;
      break;
    case VALUE_NULL:
      reader.int32();
      same = expected === null;
      break;
    case VALUE_STRUCT:
      same = matchStruct(reader, valueEnd, depth + 1, expected);
      break;
    case VALUE_LIST:
      same = matchList(reader, valueEnd, depth + 1, expected);
      break;
    default:
      throw DECODE_INSTEAD;
  }
  if (!same) return false;
  // A second kind, or the same kind again: the decoder's precedence decides.
  if (reader.pos !== valueEnd) throw DECODE_INSTEAD;
  return true;
}

function matchList(reader: Reader, end: number, depth: number, expected: unknown): boolean {
  checkDepth(depth);
  const listEnd = fieldEnd(reader, reader.uint32(), end);
  if (!Array.isArray(expected)) return false;
  let index = 0;
  while (reader.pos < listEnd) {
    const tag = reader.uint32();
    if (tag !== LIST_VALUES) {
      skipField(reader, tag, listEnd);
      continue;
    }
    if (index >= expected.length || !matchValue(reader, listEnd, depth + 1, expected[index])) return false;
    index += 1;
  }
  expectEnd(reader, listEnd);
  return index === expected.length;
}

/** A string field against `expected`, byte by byte while both are ASCII; otherwise decoded as the decoder would. */
function matchText(reader: Reader, expected: unknown): boolean {
  const at = reader.pos;
  const length = reader.uint32();
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) throw new RangeError('premature EOF');
  const bytes = reader.source;
  if (typeof expected === 'string' && expected.length === length) {
    let i = 0;
    for (; i < length; i++) {
      const byte = bytes[start + i] as number;
      if (byte > 0x7f || byte !== expected.charCodeAt(i)) break;
    }
    if (i === length) {
      reader.pos = end;
      return true;
    }
  }
  reader.pos = at;
  return reader.text() === expected;
}
