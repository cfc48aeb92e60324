/**
 * Memoized schema parsing. Validating an XR's spec and its merged
 * EnvironmentConfig with zod is a sizeable share of a render, and between two
 * reconciles of the same XR both are almost always unchanged even when the
 * request is not (observed state moved on). A parse is a pure function of the
 * value's content, so its output can be reused for the same content. The key is
 * the value's canonical JSON (keys sorted): Crossplane sends the same content with
 * its maps in a different order on every call.
 */
import type { z } from 'zod';
import { canonical } from './canonical.js';

/** Entries kept per schema: a few times the XRs one replica renders between changes of a config. */
export const PARSE_MEMO_ENTRIES = 256;

/** Values whose JSON is longer are parsed every time: the key would cost more memory than it saves time. */
const MAX_KEY_CHARS = 64 * 1024;

type Success<S extends z.ZodType> = { success: true; data: z.output<S> };
type ParseResult<S extends z.ZodType> = Success<S> | { success: false; error: z.ZodError };

let memos = new WeakMap<z.ZodType, Map<string, unknown>>();

/** Forgets every memoized parse: for measuring what a render costs when its spec and config are new. */
export function clearParseMemo(): void {
  memos = new WeakMap();
}

/**
 * `schema.safeParse(value)`, answered from memory when the same schema parsed
 * the same content (whatever its key order) before. Successful outputs are deep-frozen and shared
 * between renders: a builder that tried to modify one would throw instead of
 * corrupting the next render. Failures are not kept (they are rare and their
 * messages cheap to rebuild).
 */
export function memoizedSafeParse<S extends z.ZodType>(schema: S, value: unknown): ParseResult<S> {
  return memoizedSafeParseOf(schema, value, (same) => same);
}

/**
 * `schema.safeParse(prepare(input))`, memoized by the canonical JSON of `input`: for
 * inputs that need a pure preparation step before parsing (merging config
 * layers), so that the step is skipped too when the input was seen before.
 */
export function memoizedSafeParseOf<S extends z.ZodType, I>(schema: S, input: I, prepare: (input: I) => unknown): ParseResult<S> {
  const key = JSON.stringify(canonical(input));
  if (key === undefined || key.length > MAX_KEY_CHARS) return schema.safeParse(prepare(input)) as ParseResult<S>;
  let memo = memos.get(schema);
  if (memo === undefined) {
    memo = new Map();
    memos.set(schema, memo);
  }
  const hit = memo.get(key);
  if (hit !== undefined) {
    // Most recently used last, so eviction takes the least recently used.
    memo.delete(key);
    memo.set(key, hit);
    return { success: true, data: hit as z.output<S> };
  }
  // Parsed from the key, not from `input`: what is kept and shared is then made of fresh objects
  // only, never of the request's own (a schema such as z.unknown() hands its input through).
  const result = schema.safeParse(prepare(JSON.parse(key) as I)) as ParseResult<S>;
  if (!result.success) return result;
  const data = deepFreeze(result.data);
  memo.set(key, data);
  if (memo.size > PARSE_MEMO_ENTRIES) {
    const oldest = memo.keys().next();
    if (oldest.done !== true) memo.delete(oldest.value);
  }
  return { success: true, data };
}

function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
