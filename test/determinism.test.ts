import { decodeRunFunctionRequest, encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { allBenchCases } from '../scripts/lib/bench-cases.js';
import { crossplaneTag, crossplaneWire, seededRandom } from '../scripts/lib/crossplane-wire.js';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../functions/platform/src/run-function.js';
import { canonical } from '../functions/platform/src/schema/canonical.js';
import { reverseKeys } from './helpers/project-xrs.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

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
  it('keeps an own __proto__ key as a key (assigning it would set the prototype)', () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":1}}') as object;
    const out = canonical(value);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":1},"b":1}');
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

describe('map order on the wire', () => {
  // Crossplane's Go marshaller writes every map (each Struct's fields) in a random order,
  // so the same content arrives as different bytes; the answer must not change with it.
  const cases = allBenchCases();

  it.each(cases.map((c) => [`${c.file} (${c.state})`, c] as const))('answers %s with the same bytes for every map order', (_name, c) => {
    for (let seed = 1; seed <= 3; seed++) {
      const wire = crossplaneWire(c.request, seededRandom(seed));
      const first = decodeRunFunctionRequest(wire);
      const tag = first.meta?.tag ?? '';
      const expected = bytes({ ...c.request, meta: { capabilities: [], tag } });
      expect(bytes(first).equals(expected)).toBe(true);
    }
  });

  it('tags the same content alike whatever its map order, and other content otherwise', () => {
    const c = cases[0];
    if (c === undefined) throw new Error('no bench cases');
    const tags = [1, 2].map((seed) => decodeRunFunctionRequest(crossplaneWire(c.request, seededRandom(seed))).meta?.tag);
    expect(tags[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(tags[1]).toBe(tags[0]);
    expect(crossplaneWire(c.request, seededRandom(1)).equals(crossplaneWire(c.request, seededRandom(2)))).toBe(false);
    expect(crossplaneTag(cases[1]?.request ?? c.request)).not.toBe(tags[0]);
  });
});
