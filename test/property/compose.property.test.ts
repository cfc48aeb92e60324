import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../functions/platform/src/errors.js';
import { MAX_MESSAGE_CHARS as RUN_FUNCTION_MAX_MESSAGE_CHARS, runFunction } from '../../functions/platform/src/run-function.js';
import { composeInProcess, desiredManifests, desiredXr, requestFor } from '../../scripts/lib/in-process.js';
import { defaultValidator, validateManifests } from '../../scripts/lib/validation.js';
import { kindCases, requiredPool, userSpec, withSpec, type KindCase } from '../helpers/kind-cases.js';
import { CONFIG_PROBLEM, FIELD_PATH, isFatal, prng, responseBytes, runBytes, shuffleKeys, singleFatal } from '../helpers/outcome.js';
import { arbitraryFromZod, junkValue, mutate, mutationOf } from './arbitraries.js';

type JsonObject = Record<string, unknown>;

/**
 * Bounded so `npm test` stays quick on 2 cores; the seed is fixed so a failure
 * reproduces. PROPERTY_RUNS scales every property for a longer soak locally.
 */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 1);
const params = (numRuns: number): fc.Parameters<unknown> => ({ seed: 20_240_601, numRuns: Math.max(1, Math.round(numRuns * RUNS)), endOnFailure: true });

/** A Fatal message must stay readable in a status condition, however big the input was. */
const MAX_MESSAGE_CHARS = RUN_FUNCTION_MAX_MESSAGE_CHARS;

const validator = defaultValidator();
const pool = requiredPool();

/** A DNS-label XR name: long ones included, since composers derive resource names from it. */
const xrName = fc.oneof(
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/),
  fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/),
);

function xrFor(kind: KindCase, spec: unknown, name?: string): JsonObject {
  const xr = withSpec(kind.xr, spec);
  if (name === undefined) return xr;
  return { ...xr, metadata: { ...(xr.metadata as JsonObject), name } };
}

function identity(xr: JsonObject): string {
  const metadata = xr.metadata as { name: string; namespace: string };
  return `${String(xr.kind)} ${metadata.namespace}/${metadata.name}`;
}

/** Field paths in reading order: segment by segment, list indexes as numbers, a parent before its children. */
function byPath(a: readonly PropertyKey[], b: readonly PropertyKey[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i], b[i]];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** What happened to one spec, for the statistics each property asserts on. */
type Outcome = 'composed' | 'refused' | 'invalid';

/**
 * The contract for any spec at all: zod decides whether it is valid.
 * Invalid: exactly one Fatal that starts with the field path of zod's first
 * problem, nothing desired. Valid: either it composes (every manifest and the
 * XR validate against the real schemas; the same request and the same request
 * with shuffled key order give byte-identical responses) or the composer
 * refuses it with one Fatal that names a field path.
 */
function judge(kind: KindCase, xr: JsonObject, shuffleSeed: number): Outcome {
  // As run-function reads it: no spec (or null) is an empty spec; Crossplane's spec.crossplane is not the user's.
  const spec = xr.spec === undefined || xr.spec === null ? {} : xr.spec;
  const parsed = kind.definition.spec.safeParse(typeof spec === 'object' && !Array.isArray(spec) ? userSpec(xr) : spec);
  const result = composeInProcess(xr, pool);
  const { response } = result;

  if (!parsed.success) {
    const fatal = singleFatal(response);
    if ('problem' in fatal) throw new Error(`invalid spec not refused with one Fatal: ${fatal.problem}`);
    // Every problem is reported, sorted by field path: the message starts with the path that sorts first.
    const [first] = parsed.error.issues.map((issue) => issue.path).sort(byPath);
    const path = formatPath(['spec', ...(first ?? [])]);
    expect(fatal.message.startsWith(`cannot compose ${identity(xr)}: ${path}: `), fatal.message.slice(0, 300)).toBe(true);
    expect(fatal.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(response.desired?.resources ?? {}).toEqual({});
    return 'invalid';
  }

  if (isFatal(response)) {
    const fatal = singleFatal(response);
    if ('problem' in fatal) throw new Error(`valid spec with more than one result: ${fatal.problem}`);
    expect(FIELD_PATH.test(fatal.message) || CONFIG_PROBLEM.test(fatal.message), fatal.message).toBe(true);
    expect(fatal.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    return 'refused';
  }

  expect(result.summary.outcome).toBe('composed');
  // Validate the XR as the function read it (a null spec is an empty one; the API server would never store null).
  const manifests = [desiredXr({ ...xr, spec }, response), ...desiredManifests(xr, response)];
  const report = validateManifests(validator, [{ file: identity(xr), manifests }], { errorOnMissingSchemas: true });
  expect(report.lines).toEqual([]);

  const bytes = responseBytes(response);
  expect(runBytes(structuredClone(result.request)).equals(bytes), 'same request, same bytes').toBe(true);
  expect(runBytes(shuffleKeys(result.request, prng(shuffleSeed))).equals(bytes), 'shuffled key order, same bytes').toBe(true);
  return 'composed';
}

function tally(outcomes: Outcome[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { composed: 0, refused: 0, invalid: 0 };
  for (const outcome of outcomes) counts[outcome]++;
  return counts;
}

describe.each(kindCases().map((kind) => [kind.definition.kind, kind] as const))('%s: property tests', (_name, kind) => {
  it('has valid seeds (examples or samples) to grow random specs from', () => {
    expect(kind.validSpecs.length, `add examples/ or test/samples/${kind.definition.kind.toLowerCase()}.ts`).toBeGreaterThan(0);
  });

  it('random valid specs compose into schema-valid, deterministic output, or are refused with a field path', () => {
    const specs = arbitraryFromZod(kind.definition.spec, kind.validSpecs).filter((spec) => kind.definition.spec.safeParse(spec).success);
    const outcomes: Outcome[] = [];
    fc.assert(
      fc.property(specs, xrName, fc.integer(), (spec, name, seed) => {
        outcomes.push(judge(kind, xrFor(kind, spec, name), seed));
      }),
      params(150),
    );
    const counts = tally(outcomes);
    // Most random valid specs must actually compose, or the property proves little.
    expect(counts.composed, JSON.stringify(counts)).toBeGreaterThan(outcomes.length / 4);
  });

  it('mutated specs (junk values, removed and unknown fields, huge strings, deep nesting, unicode) get one Fatal naming the field', () => {
    const mutated = fc.constantFrom(...kind.validSpecs).chain((spec) => mutationOf(spec).map((m) => mutate(spec, m)));
    const outcomes: Outcome[] = [];
    fc.assert(
      fc.property(mutated, fc.integer(), (spec, seed) => {
        outcomes.push(judge(kind, xrFor(kind, spec), seed));
      }),
      params(300),
    );
    expect(tally(outcomes).invalid).toBeGreaterThan(outcomes.length / 2);
  });

  it('a spec that is not an object at all gets one Fatal naming spec', () => {
    fc.assert(
      fc.property(junkValue, fc.integer(), (spec, seed) => {
        judge(kind, xrFor(kind, spec), seed);
      }),
      params(60),
    );
  });

  it('every sample is judged by the same contract', () => {
    for (const sample of kind.samples) judge(kind, xrFor(kind, sample), 1);
  });

  it('feeding the desired resources back as observed never desires fewer unless the spec changed', () => {
    const specs = arbitraryFromZod(kind.definition.spec, kind.validSpecs).filter((spec) => kind.definition.spec.safeParse(spec).success);
    let checked = 0;
    fc.assert(
      fc.property(specs, specs, (first, second) => {
        const xr = xrFor(kind, first);
        const initial = composeInProcess(xr, pool);
        fc.pre(!isFatal(initial.response));
        const observed: Record<string, JsonObject> = {};
        for (const [name, resource] of Object.entries(initial.response.desired?.resources ?? {})) {
          if (resource.resource !== undefined) observed[name] = resource.resource;
        }

        // Same spec, its own resources observed: composes again and keeps every one of them.
        const again = composeInProcess(xr, pool, { observed });
        expect(again.response.results.filter((r) => isFatal({ ...again.response, results: [r] })), 'same spec with its own resources observed').toEqual([]);
        const kept = Object.keys(again.response.desired?.resources ?? {});
        expect(Object.keys(observed).filter((name) => !kept.includes(name))).toEqual([]);

        // Another spec: a refusal (one Fatal) or a render that drops only what the new spec does not want.
        const changed = composeInProcess(xrFor(kind, second), pool, { observed });
        if (isFatal(changed.response)) {
          const fatal = singleFatal(changed.response);
          if ('problem' in fatal) throw new Error(fatal.problem);
        } else {
          const fresh = composeInProcess(xrFor(kind, second), pool);
          const wantedFresh = new Set(Object.keys(fresh.response.desired?.resources ?? {}));
          const desiredNow = new Set(Object.keys(changed.response.desired?.resources ?? {}));
          const dropped = Object.keys(observed).filter((name) => !desiredNow.has(name));
          expect(dropped.filter((name) => wantedFresh.has(name)), 'dropped although the new spec wants it').toEqual([]);
        }
        checked++;
      }),
      params(80),
    );
    expect(checked).toBeGreaterThan(0);
  });
});

describe('junk around the spec', () => {
  const kinds = kindCases();
  // By index: a failing case then prints the kind's number, not the whole definition.
  const anyKind = fc.nat({ max: kinds.length - 1 }).map((i) => kinds[i] as KindCase);

  it('a broken XR envelope (metadata, apiVersion, kind) gets one Fatal, never an exception', () => {
    const broken = fc.oneof(
      fc.record({ field: fc.constantFrom('name', 'namespace'), value: junkValue }).map(({ field, value }) => (xr: JsonObject) => ({ ...xr, metadata: { ...(xr.metadata as JsonObject), [field]: value } })),
      junkValue.map((value) => (xr: JsonObject) => ({ ...xr, metadata: value })),
      junkValue.map((value) => (xr: JsonObject) => ({ ...xr, apiVersion: value })),
      junkValue.map((value) => (xr: JsonObject) => ({ ...xr, kind: value })),
    );
    fc.assert(
      fc.property(anyKind, broken, (kind, breakIt) => {
        const xr = breakIt(withSpec(kind.xr, userSpec(kind.xr)));
        const { response } = runFunction(requestFor(xr), { ttlSeconds: 60 });
        const fatal = singleFatal(response);
        if ('problem' in fatal) {
          // Only a junk value that happens to be valid may compose (e.g. another DNS-label name).
          expect(response.results).toEqual([]);
          return;
        }
        const aboutKind = /is not served by this function|more characters\)$/.test(fatal.message);
        expect(FIELD_PATH.test(fatal.message) || aboutKind, fatal.message.slice(0, 300)).toBe(true);
        expect(fatal.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
      }),
      params(200),
    );
  });

  it('a request without an observed composite gets one Fatal', () => {
    const { response } = runFunction({ ...requestFor({}), observed: undefined }, { ttlSeconds: 60 });
    expect(singleFatal(response)).toEqual({ message: 'cannot compose: the request has no observed composite resource' });
  });
});
