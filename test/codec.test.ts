import { canonical } from '../functions/platform/src/schema/canonical.js';
import { isDeepStrictEqual } from 'node:util';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Ready, RunFunctionRequest, RunFunctionResponse, Severity, Status, Target } from '@crossplane-org/function-sdk-typescript';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRunFunctionRequest, encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { Writer } from '../functions/platform/src/codec/writer.js';
import { sortKeys } from '../functions/platform/src/codec/struct.js';
import { exampleRenders } from '../scripts/lib/examples.js';
import { composeInProcess, requestFor } from '../scripts/lib/in-process.js';
import { readManifest } from './helpers/requests.js';
import { LazyRequest } from '../functions/platform/src/codec/request.js';
import { sameContent } from '../functions/platform/src/same-content.js';
import { prng, shuffleKeys } from './helpers/outcome.js';
import { settleEnvironment } from './helpers/settle.js';

type JsonObject = Record<string, unknown>;

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1);
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: 20_261_122, numRuns: Math.max(1, Math.round(numRuns * RUNS)), endOnFailure: true });

/**
 * The SDK's bytes for a response in canonical form (Struct keys sorted, Dates as
 * ISO strings): the reference the codec must match exactly, as the encoder writes
 * what the SDK would for the canonical response, whatever the key order.
 */
const sdkBytes = (response: RunFunctionResponse) => Buffer.from(RunFunctionResponse.encode(canonical(response)).finish());

/** Our encoder gives the SDK's bytes, byte for byte. */
function expectSameEncoding(response: RunFunctionResponse): void {
  const ours = encodeRunFunctionResponse(response);
  const theirs = sdkBytes(response);
  if (!ours.equals(theirs)) expect(ours.toString('hex')).toBe(theirs.toString('hex'));
}

/**
 * Our decoder gives the SDK's value. `isDeepStrictEqual` because it tells -0
 * from 0 and checks prototypes; `toEqual` first for a readable diff.
 */
function expectSameDecoding(bytes: Uint8Array): void {
  const ours = decodeRunFunctionRequest(bytes);
  const theirs = RunFunctionRequest.decode(bytes);
  expect(ours).toEqual(theirs);
  expect(isDeepStrictEqual(ours, theirs)).toBe(true);
}

const requestBytes = (request: RunFunctionRequest) => RunFunctionRequest.encode(request).finish();

/**
 * Any value the SDK's Value.wrap accepts, nested; undefined and Dates included
 * (undefined is lossy in the SDK, so it must be lossy alike; a Date is written
 * as its ISO string, which the SDK would write as {}), keys in any order. `text` makes strings and
 * keys: ASCII-only takes the encoder's fast path, any unicode its converting one.
 */
function arbitraryStruct(text: fc.Arbitrary<string>): fc.Arbitrary<JsonObject> {
  const tree = fc.letrec((tie) => ({
    leaf: fc.oneof(
      text,
      fc.string({ minLength: 100, maxLength: 400 }), // past one-byte length prefixes
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, Number.MIN_VALUE),
      fc.boolean(),
      fc.constant(null),
    ),
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('list'), tie('object')),
    list: fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 6 }),
    object: fc.dictionary(fc.oneof(text, fc.constantFrom('', '__proto__', 'constructor', '0', '10', 'apiVersion')), fc.oneof(tie('value'), fc.constant(undefined), fc.date({ noInvalidDate: true })), {
      maxKeys: 6,
    }),
  }));
  return tree.object as fc.Arbitrary<JsonObject>;
}
const asciiStruct = arbitraryStruct(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)) }));
const unicodeStruct = arbitraryStruct(
  fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)) }), // lone surrogates too
  ),
);

function responseWith(struct: JsonObject): RunFunctionResponse {
  return {
    meta: { tag: 'tag', ttl: { seconds: 60, nanos: 0 } },
    desired: { composite: { resource: struct, connectionDetails: {}, ready: Ready.READY_TRUE }, resources: { a: { resource: struct, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED } } },
    results: [],
    context: struct,
    requirements: undefined,
    conditions: [],
    output: struct,
  };
}

function requestWith(struct: JsonObject): RunFunctionRequest {
  return {
    ...requestFor(struct, { observed: { a: struct } }),
    input: struct,
    context: struct,
    requiredSchemas: { s: { openapiV3: struct } },
  };
}

describe('codec: the SDK bytes and values for every example', () => {
  const examples = exampleRenders();
  it.each(examples.map((e) => [e.file, e] as const))('%s', (_file, example) => {
    const { request, response } = composeInProcess(example.input.xr, example.input.requiredResources ?? []);
    expectSameEncoding(response);
    expectSameDecoding(requestBytes(request));
  });
});

describe('codec: settled Environments (large observed states)', () => {
  it.each(['dev', 'staging', 'prod', 'prod-standalone'])('%s', (name) => {
    const xr = readManifest(`examples/environment/${name}.yaml`);
    const { resources, response } = settleEnvironment(xr);
    expectSameEncoding(response);
    const request = requestFor(xr, { observed: resources });
    request.desired = response.desired;
    expectSameDecoding(requestBytes(request));
  });
});

describe('codec: every message field', () => {
  it('encodes results, conditions, requirements, selectors, connection details, TTL and output like the SDK', () => {
    const response: RunFunctionResponse = {
      meta: { tag: 'ünïcode tag', ttl: { seconds: 3_000_000_000, nanos: 5 } },
      desired: {
        composite: { resource: { a: 1 }, connectionDetails: { password: Buffer.from('secret'), empty: Buffer.alloc(0) }, ready: Ready.READY_FALSE },
        resources: { '': { resource: undefined, connectionDetails: {}, ready: Ready.READY_TRUE }, b: { resource: {}, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED } },
      },
      results: [
        { severity: Severity.SEVERITY_FATAL, message: 'boom', reason: 'Why', target: Target.TARGET_COMPOSITE_AND_CLAIM },
        { severity: Severity.SEVERITY_UNSPECIFIED, message: '' },
      ],
      context: { 'apiextensions.crossplane.io/environment': { x: [1, 'two', null, true] } },
      requirements: {
        extraResources: { old: { apiVersion: 'v1', kind: 'ConfigMap', matchName: 'cm' } },
        resources: {
          byLabels: { apiVersion: 'v1', kind: 'Secret', matchLabels: { labels: { a: 'b', empty: '' } }, namespace: 'ns' },
          empty: { apiVersion: '', kind: '' },
        },
        schemas: { s: { apiVersion: 'example.org/v1', kind: 'Thing' } },
      },
      conditions: [
        { type: 'Ready', status: Status.STATUS_CONDITION_TRUE, reason: 'Available', message: 'ok', target: Target.TARGET_COMPOSITE },
        { type: '', status: Status.STATUS_CONDITION_UNSPECIFIED, reason: '' },
      ],
      output: { count: 2 },
    };
    expectSameEncoding(response);
    expectSameEncoding({ meta: undefined, desired: undefined, results: [], requirements: undefined, conditions: [] });
    expectSameEncoding({ meta: { tag: '', ttl: { seconds: -1, nanos: -1 } }, desired: undefined, results: [], requirements: undefined, conditions: [] });
  });

  it('decodes meta, capabilities, extra and required resources, credentials and schemas like the SDK', () => {
    const request: RunFunctionRequest = {
      meta: { tag: 't', capabilities: [1, 2, 3, 4, 5] },
      observed: { composite: { resource: { kind: 'X' }, connectionDetails: { k: Buffer.from([0, 255, 1]) }, ready: Ready.READY_TRUE }, resources: { r: { resource: { a: [] }, connectionDetails: {}, ready: Ready.READY_FALSE } } },
      desired: { composite: undefined, resources: {} },
      input: { apiVersion: 'in/v1' },
      context: { c: { d: 1.5 } },
      extraResources: { e: { items: [{ resource: { x: 1 }, connectionDetails: {}, ready: 0 }] }, none: { items: [] } },
      credentials: { creds: { credentialData: { data: { password: Buffer.from('pw'), blank: Buffer.alloc(0) } } }, nothing: { credentialData: undefined } },
      requiredResources: { cfg: { items: [{ resource: { data: { a: 'b' } }, connectionDetails: {}, ready: 0 }] } },
      requiredSchemas: { s: { openapiV3: { type: 'object' } }, missing: { openapiV3: undefined } },
    };
    expectSameDecoding(requestBytes(request));
    expectSameDecoding(new Uint8Array(0));
  });

  it('reads capabilities unpacked as well as packed', () => {
    const writer = new BinaryWriter();
    writer.uint32(10).fork().uint32(16).int32(3).uint32(16).int32(-1).uint32(18).fork().int32(1).int32(2).join().join();
    expectSameDecoding(writer.finish());
  });
});

describe('codec: edge cases', () => {
  const longAscii = 'x'.repeat(300);
  const longUnicode = 'ü€😀'.repeat(100);
  const edgy: JsonObject = {
    'ünïcödé kéy': 'välüe ✓',
    '😀': '😀',
    'lone \ud800 surrogate': 'lone \udc00 surrogate',
    [longAscii]: longUnicode,
    [longUnicode]: longAscii,
    huge: 'y'.repeat(100_000), // three-byte length prefixes
    '': '',
    numbers: [0, -0, 1, -1, 2 ** 53 + 1, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    empty: { object: {}, list: [], nested: [[], [[]], [{}], [[[1, [2, ['three']]]]]] },
    sparse: [undefined, null, true, false, undefined],
  };

  it('encodes and decodes non-ASCII and long text, extreme numbers, empty and nested lists like the SDK', () => {
    expectSameEncoding(responseWith(edgy));
    expectSameDecoding(requestBytes(requestWith(edgy)));
  });

  it('gives the same bytes on every call, whatever was encoded in between (string caches)', () => {
    const first = encodeRunFunctionResponse(responseWith(edgy));
    encodeRunFunctionResponse(responseWith({ other: 'strings', 'ünïcödé kéy': 1 }));
    expect(encodeRunFunctionResponse(responseWith(edgy)).equals(first)).toBe(true);
    expectSameEncoding(responseWith(edgy));
  });

  it('encodes and decodes more distinct strings than the caches hold', () => {
    const distinct = (round: number): JsonObject => {
      const object: JsonObject = {};
      // Long enough that the encoder's cache (1 MiB) fills and starts over a few times in these rounds.
      for (let i = 0; i < 1500; i++) object[`key-${round}-${i}-${'k'.repeat(100 + (i % 100))}`] = i % 2 === 0 ? `${round}-${i}` : `value-${round}-${i}-${'v'.repeat(100 + (i % 100))}`;
      return object;
    };
    const contextOnly = (context: JsonObject): RunFunctionResponse => ({ meta: undefined, desired: undefined, results: [], context, requirements: undefined, conditions: [] });
    for (const round of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0]) {
      expectSameEncoding(contextOnly(distinct(round)));
      expectSameDecoding(requestBytes({ ...requestFor({}), input: distinct(round) }));
    }
  });

  it('decodes strings that agree on the bytes the decoding cache hashes', () => {
    // Same length and first, second, middle and last two bytes: the same slot of the cache.
    const colliding: JsonObject = {};
    for (let i = 0; i < 3000; i++) {
      const digits = String(i).padStart(6, '0');
      colliding[`xx${digits.slice(0, 3)}-${digits.slice(3)}yy`] = `xx${digits.slice(3)}-${digits.slice(0, 3)}yy`;
    }
    for (let round = 0; round < 2; round++) expectSameDecoding(requestBytes(requestWith(colliding)));
  });

  it('encodes messages that do not fit its buffer, ending anywhere near its start', () => {
    for (let length = 0; length < 300; length++) {
      const response = responseWith({ text: 'z'.repeat(length), n: length });
      const ours = encodeRunFunctionResponse(response, new Writer(64));
      expect(ours.toString('hex')).toBe(sdkBytes(response).toString('hex'));
    }
  });
});

describe('codec: canonical output', () => {
  /** The same content with every object's keys inserted in reverse. */
  const reversed = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reversed);
    if (typeof value !== 'object' || value === null || value instanceof Date) return value;
    return Object.fromEntries(Object.keys(value).reverse().map((key) => [key, reversed((value as JsonObject)[key])]));
  };

  it('writes Struct keys and map entries in sorted order, whatever order the objects hold them in', () => {
    const struct = { spec: { b: 1, a: [{ z: true, y: null }] }, apiVersion: 'v1', kind: 'K', '10': 'ten', '9': 'nine', '': 'empty' };
    const response: RunFunctionResponse = { ...responseWith(struct), desired: { composite: undefined, resources: { zeta: { resource: struct, connectionDetails: {}, ready: Ready.READY_TRUE }, alpha: { resource: struct, connectionDetails: {}, ready: Ready.READY_TRUE } } } };
    const ours = encodeRunFunctionResponse(response);
    expect(encodeRunFunctionResponse(reversed(response) as RunFunctionResponse).equals(ours)).toBe(true);
    const decoded = RunFunctionResponse.decode(ours);
    expect(Object.keys(decoded.desired?.resources ?? {})).toEqual(['alpha', 'zeta']);
    // Array-index keys first, as any JavaScript object lists them; then the rest in code unit order.
    expect(Object.keys(decoded.context ?? {})).toEqual(['9', '10', '', 'apiVersion', 'kind', 'spec']);
  });

  it('sorts the names after the array-index keys that Object.keys lists first', () => {
    const keys = ['0', '7', '10', 'b', '', 'a', '4294967295'];
    sortKeys(keys);
    // 4294967295 is not an array index (2^32 - 1): a name like any other.
    expect(keys).toEqual(['0', '7', '10', '', '4294967295', 'a', 'b']);
  });

  it('writes a Date as its ISO 8601 string, where the SDK writes {}', () => {
    const at = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
    const decoded = RunFunctionResponse.decode(encodeRunFunctionResponse(responseWith({ at, list: [at] })));
    expect(decoded.context).toEqual({ at: '2026-11-22T12:00:00.000Z', list: ['2026-11-22T12:00:00.000Z'] });
  });
});

describe('codec: property tests against the SDK', () => {
  it.each([
    ['ASCII', asciiStruct],
    ['unicode', unicodeStruct],
  ] as const)('encodes any Struct content (%s) to the SDK bytes', (_text, struct) => {
    fc.assert(
      fc.property(struct, (value) => {
        expectSameEncoding(responseWith(value));
      }),
      params(300),
    );
  });

  it.each([
    ['ASCII', asciiStruct],
    ['unicode', unicodeStruct],
  ] as const)('decodes any Struct content (%s) to the SDK value', (_text, struct) => {
    fc.assert(
      fc.property(struct, (value) => {
        expectSameDecoding(requestBytes(requestWith(value)));
      }),
      params(300),
    );
  });

  it('refuses what the SDK refuses to encode', () => {
    for (const bad of [10n, Symbol('s'), () => 1]) {
      const response = responseWith({ bad });
      expect(() => sdkBytes(response)).toThrow('Unsupported any value type');
      expect(() => encodeRunFunctionResponse(response)).toThrow('Unsupported any value type');
    }
  });

  it('never decodes random bytes to anything but the SDK value: equal, or an Error', () => {
    const valid = requestBytes(requestWith({ a: [1, 'b', { c: null }], d: true }));
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, bytes]) => {
      const copy = Uint8Array.from(valid);
      copy.set(bytes.subarray(0, copy.length - at), at);
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), mutated), (bytes) => {
        let ours: RunFunctionRequest;
        try {
          ours = decodeRunFunctionRequest(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          return;
        }
        // Whatever we accept, the SDK accepts and reads the same way (we are only ever stricter).
        expect(isDeepStrictEqual(ours, RunFunctionRequest.decode(bytes))).toBe(true);
      }),
      params(2000),
    );
  });
});

describe('codec: unknown and malformed input', () => {
  /** A Struct entry, a Value and the request itself, each with fields this proto does not have. */
  function withUnknownFields(): Uint8Array {
    const unknown = (w: BinaryWriter) => {
      w.uint32((99 << 3) | 0).uint64(123_456_789_012n); // varint
      w.uint32((98 << 3) | 1).fixed64(7n); // 64-bit
      w.uint32((97 << 3) | 2).bytes(new Uint8Array([1, 2, 3])); // length-delimited
      w.uint32((96 << 3) | 5).fixed32(9); // 32-bit
      w.uint32((95 << 3) | 3).uint32((94 << 3) | 0).uint32(1).uint32((95 << 3) | 4); // a group
      w.uint32((1 << 3) | 0).uint32(5); // a known field number with the wrong wire type
    };
    const w = new BinaryWriter();
    w.uint32(42).fork(); // context: Struct
    w.uint32(10).fork(); // fields entry
    unknown(w);
    w.uint32(10).string('key');
    w.uint32(18).fork(); // Value
    unknown(w);
    w.uint32(26).string('value');
    w.join();
    w.join();
    w.uint32(10).fork().uint32(10).string('empty').uint32(18).fork().join().join(); // an entry whose Value is empty: left out
    w.uint32(10).fork().uint32(10).string('__proto__').uint32(18).fork().uint32(42).fork().join().join().join(); // the SDK cannot keep this key either
    w.join();
    unknown(w);
    w.uint32(10).fork().uint32(10).string('tag').join(); // meta
    return w.finish();
  }

  it('skips unknown fields at every level, as the SDK does', () => {
    const bytes = withUnknownFields();
    expectSameDecoding(bytes);
    expect(decodeRunFunctionRequest(bytes).context).toEqual({ key: 'value' });
  });

  it('throws on malformed bytes', () => {
    const cases: Record<string, number[]> = {
      'length past the end': [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01],
      'truncated varint': [0x0a, 0x80],
      'tag 0': [0x00, 0x00],
      'end group without start': [0x0c],
      'wire type 7': [0x0f],
      'nested length past its parent': [0x2a, 0x03, 0x0a, 0x05, 0x0a, 0x01, 0x61, 0x00, 0x00],
      'truncated double': [0x2a, 0x06, 0x0a, 0x04, 0x12, 0x02, 0x11, 0x00],
    };
    for (const [name, bytes] of Object.entries(cases)) {
      expect(() => decodeRunFunctionRequest(Uint8Array.from(bytes)), name).toThrow(Error);
    }
  });

  it('throws on every truncation of a real request that is not a field boundary', () => {
    const xr = readManifest('examples/environment/dev.yaml');
    const bytes = requestBytes(requestFor(xr, { observed: { a: xr } }));
    for (let length = 0; length < bytes.length; length++) {
      const prefix = bytes.subarray(0, length);
      let ours: RunFunctionRequest | undefined;
      try {
        ours = decodeRunFunctionRequest(prefix);
      } catch {
        continue;
      }
      expect(isDeepStrictEqual(ours, RunFunctionRequest.decode(prefix)), `prefix of ${length} bytes`).toBe(true);
    }
  });

  it('refuses nesting at the depth the SDK refuses, and accepts what it accepts', () => {
    const nested = (levels: number): JsonObject => (levels === 0 ? { leaf: 1 } : { n: nested(levels - 1) });
    for (const levels of [20, 30, 31, 32, 40]) {
      const bytes = requestBytes(requestWith(nested(levels)));
      let sdkError: unknown;
      try {
        RunFunctionRequest.decode(bytes);
      } catch (error) {
        sdkError = error;
      }
      if (sdkError === undefined) expectSameDecoding(bytes);
      else expect(() => decodeRunFunctionRequest(bytes), `${levels} levels`).toThrow('recursion limit');
    }
  });
});

describe('codec: resource maps compared in place (LazyRequest.resourceMapMatches, struct-match.ts)', () => {
  /** A request whose required resources hold `structs`, one item each, with its maps in the order `seed` draws. */
  const withRequired = (structs: JsonObject[], seed: number): Uint8Array =>
    RunFunctionRequest.encode(
      shuffleKeys(
        {
          ...requestFor({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x' } }),
          requiredResources: Object.fromEntries(structs.map((struct, i) => [`r${i}`, { items: [{ resource: struct, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED }] }])),
        },
        prng(seed),
      ),
    ).finish();

  /**
   * The claim: the in-place answer is the decoded comparison's; for bytes the decoder
   * refuses, never "equal" (it throws, or says "not equal" at a difference before the fault).
   */
  function expectSameAnswer(bytes: Uint8Array, expected: RunFunctionRequest['requiredResources']): boolean {
    let decoded: RunFunctionRequest['requiredResources'];
    try {
      decoded = new LazyRequest(bytes).resourceMap('requiredResources');
    } catch {
      let answer: boolean | 'threw';
      try {
        answer = new LazyRequest(bytes).resourceMapMatches('requiredResources', expected);
      } catch {
        answer = 'threw';
      }
      expect(answer).not.toBe(true);
      return false;
    }
    const answer = new LazyRequest(bytes).resourceMapMatches('requiredResources', expected);
    expect(answer).toBe(sameContent(decoded, expected));
    return answer;
  }

  it('finds the same content equal in any map order, and other content not', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(asciiStruct, unicodeStruct), { minLength: 1, maxLength: 3 }), fc.array(asciiStruct, { minLength: 1, maxLength: 3 }), fc.nat(), (structs, others, seed) => {
        const expected = decodeRunFunctionRequest(withRequired(structs, seed + 1)).requiredResources;
        expect(expectSameAnswer(withRequired(structs, seed), expected)).toBe(true);
        expectSameAnswer(withRequired(others, seed), expected);
        expectSameAnswer(withRequired(structs.slice(1), seed), expected);
      }),
      params(300),
    );
  });

  it('answers as the decoder for bytes that are odd or broken (duplicate keys, values before keys, mutations)', () => {
    const struct = { a: [1, 'b', { c: null }], d: true, e: { f: 'g' } };
    const valid = withRequired([struct], 1);
    const expected = decodeRunFunctionRequest(valid).requiredResources;
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, bytes]) => {
      const copy = Uint8Array.from(valid);
      copy.set(bytes.subarray(0, copy.length - at), at);
      return copy;
    });
    fc.assert(
      fc.property(mutated, (bytes) => {
        expectSameAnswer(bytes, expected);
      }),
      params(2000),
    );
  });
});
