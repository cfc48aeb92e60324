import { RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { allBenchCases } from '../scripts/lib/bench-cases.js';
import { describe, expect, it } from 'vitest';
import { canonical } from '../scripts/lib/canonical.js';
import { prng, runBytes as bytes, shuffleKeys } from './helpers/outcome.js';
import { reverseKeys } from './helpers/project-xrs.js';
import { request, storageXr, withPlatformEnvironment } from './helpers/requests.js';

describe('determinism', () => {
  const xr = storageXr({ class: 'fast', size: '20Gi', accessMode: 'ReadWriteOncePod' }, { labels: { team: 'api', app: 'forge' } });

  // Bytes of the response with keys sorted (helpers/outcome.ts): the same desired resources.
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
});

describe('map order on the wire', () => {
  // Crossplane's Go marshaller writes every map (each Struct's fields) in a random order,
  // so the same content arrives as different bytes; the answer must not change with it.
  const cases = allBenchCases();

  it.each(cases.map((c) => [`${c.file} (${c.state})`, c] as const))('answers %s with the same desired resources for every map order', (_name, c) => {
    const expected = bytes(c.request);
    for (let seed = 1; seed <= 3; seed++) {
      const wire = RunFunctionRequest.encode(shuffleKeys(c.request, prng(seed))).finish();
      expect(bytes(RunFunctionRequest.decode(wire)).equals(expected)).toBe(true);
    }
  });
});
