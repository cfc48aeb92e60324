import { encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { describe, expect, it } from 'vitest';
import { canonical, runFunction } from '../functions/platform/src/run-function.js';
import { request, storageXr, withPlatformEnvironment, type JsonObject } from './helpers/requests.js';

/** Rebuilds every object with its keys in reverse order (arrays keep their order: it means something). */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as JsonObject)[key]);
  return out as T;
}

function bytes(req: Parameters<typeof runFunction>[0]): Buffer {
  return encodeRunFunctionResponse(runFunction(req, { ttlSeconds: 60 }).response);
}

describe('determinism', () => {
  const xr = storageXr({ class: 'fast', size: '20Gi', accessMode: 'ReadWriteOncePod' }, { labels: { team: 'api', app: 'forge' } });

  it('gives byte-identical responses for the same request', () => {
    const req = request(xr, { required: withPlatformEnvironment() });
    expect(bytes(req).equals(bytes(structuredClone(req)))).toBe(true);
  });

  it('gives the same bytes whatever the key order of the input', () => {
    const req = request(xr, { required: withPlatformEnvironment() });
    const shuffled = reverseKeys(req);
    expect(JSON.stringify(shuffled)).not.toBe(JSON.stringify(req));
    expect(bytes(shuffled).equals(bytes(req))).toBe(true);
  });

  it('gives the same bytes for a Fatal', () => {
    const req = request(storageXr({ size: 'lots' }), { required: withPlatformEnvironment() });
    expect(bytes(reverseKeys(req)).equals(bytes(req))).toBe(true);
  });
});

describe('canonical', () => {
  it('sorts keys at every depth and drops undefined', () => {
    const out = canonical({ b: 1, a: { d: [{ z: 1, y: undefined, x: 2 }], c: 3 } });
    expect(JSON.stringify(out)).toBe('{"a":{"c":3,"d":[{"x":2,"z":1}]},"b":1}');
  });
  it('returns an already canonical value as it is, without copying (hot path)', () => {
    const value = { a: { b: [1, { c: 'd' }] }, e: 'f' };
    expect(canonical(value)).toBe(value);
    const unsorted = { e: 'f', a: value.a };
    const out = canonical(unsorted);
    expect(out).not.toBe(unsorted);
    expect(out.a).toBe(value.a);
  });
});
