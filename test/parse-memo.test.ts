import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PARSE_MEMO_ENTRIES, clearParseMemo, memoizedSafeParse, memoizedSafeParseOf } from '../functions/platform/src/schema/parse-memo.js';

const schema = z.object({ name: z.string(), size: z.number().default(1), tags: z.array(z.string()).default([]) });

describe('memoizedSafeParse', () => {
  it('answers JSON-identical input with the same output as parsing it, from memory', () => {
    clearParseMemo();
    const first = memoizedSafeParse(schema, { name: 'a' });
    const second = memoizedSafeParse(schema, { name: 'a' });
    expect(first).toEqual({ success: true, data: { name: 'a', size: 1, tags: [] } });
    expect(second.success && first.success && second.data).toBe(first.success && first.data);
  });

  it('shares the parse of the same content in another key order (Crossplane sends maps in random order)', () => {
    clearParseMemo();
    const a = memoizedSafeParse(schema, { name: 'a', size: 2 });
    const b = memoizedSafeParse(schema, { size: 2, name: 'a' });
    expect(a.success && b.success && a.data).toBe(b.success && b.data);
  });

  it('parses other content on its own', () => {
    clearParseMemo();
    const a = memoizedSafeParse(schema, { name: 'a', size: 2 });
    const b = memoizedSafeParse(schema, { name: 'a', size: 3 });
    expect(b.success && b.data.size).toBe(3);
    expect(a.success && b.success && a.data).not.toBe(b.success && b.data);
  });

  it('keeps none of the input objects in what it shares, even where the schema passes values through', () => {
    clearParseMemo();
    const loose = z.object({ extra: z.unknown() });
    const input = { extra: { deep: ['x'] } };
    const parsed = memoizedSafeParse(loose, input);
    expect(parsed.success && parsed.data.extra).toEqual(input.extra);
    expect(parsed.success && parsed.data.extra).not.toBe(input.extra);
    expect(Object.isFrozen(input.extra)).toBe(false);
  });

  it('freezes what it shares, so a render cannot change the next render', () => {
    clearParseMemo();
    const parsed = memoizedSafeParse(schema, { name: 'a', tags: ['x'] });
    if (!parsed.success) throw new Error('expected success');
    expect(() => (parsed.data.tags as string[]).push('y')).toThrow(TypeError);
    expect(() => {
      (parsed.data as { name: string }).name = 'b';
    }).toThrow(TypeError);
  });

  it('does not keep failures: the same bad input fails again with the same issues', () => {
    clearParseMemo();
    const first = memoizedSafeParse(schema, { name: 3 });
    const second = memoizedSafeParse(schema, { name: 3 });
    expect(first.success).toBe(false);
    expect(second.success).toBe(false);
    expect(!first.success && !second.success && second.error.issues).toEqual(!first.success && first.error.issues);
  });

  it('keeps at most PARSE_MEMO_ENTRIES per schema, dropping the least recently used', () => {
    clearParseMemo();
    const dataOf = (name: string) => {
      const parsed = memoizedSafeParse(schema, { name });
      if (!parsed.success) throw new Error('expected success');
      return parsed.data;
    };
    const kept = dataOf('kept');
    const oldest = dataOf('n0');
    for (let i = 1; i <= PARSE_MEMO_ENTRIES; i++) {
      dataOf(`n${i}`);
      if (i % 16 === 0) dataOf('kept'); // used recently: survives
    }
    expect(dataOf('kept')).toBe(kept);
    expect(dataOf('n0')).not.toBe(oldest); // least recently used: parsed again
    expect(dataOf('n0')).toEqual(oldest);
  });

  it('skips the preparation step too when the input was seen before', () => {
    clearParseMemo();
    let prepared = 0;
    const merge = (layers: Array<{ name?: string; size?: number }>) => {
      prepared++;
      return Object.assign({}, ...layers);
    };
    memoizedSafeParseOf(schema, [{ name: 'a' }, { size: 5 }], merge);
    const again = memoizedSafeParseOf(schema, [{ name: 'a' }, { size: 5 }], merge);
    expect(prepared).toBe(1);
    expect(again).toEqual({ success: true, data: { name: 'a', size: 5, tags: [] } });
  });
});
