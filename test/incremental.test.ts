import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRunFunctionRequest, encodeRunFunctionResponse } from '../functions/platform/src/codec/index.js';
import { LazyRequest } from '../functions/platform/src/codec/request.js';
import { IncrementalRenderer, MalformedRequestError, MIN_KEPT_RESPONSE_BYTES } from '../functions/platform/src/incremental.js';
import { InputReads } from '../functions/platform/src/input-reads.js';
import { requestKey } from '../functions/platform/src/response-cache.js';
import { runFunction } from '../functions/platform/src/run-function.js';
import { sameContent } from '../functions/platform/src/same-content.js';
import { allBenchCases, type Case } from '../scripts/lib/bench-cases.js';
import { crossplaneTag, crossplaneWire, seededRandom, shuffleKeys } from '../scripts/lib/crossplane-wire.js';
import { pathsOf, REMOVE, replaceAt, type JsonPath } from './property/arbitraries.js';

type JsonObject = Record<string, unknown>;

const OPTIONS = { ttlSeconds: 60 };
const cases = allBenchCases();

function caseOf(file: string, state: Case['state']): Case {
  const found = cases.find((c) => c.file === `examples/${file}` && c.state === state);
  if (found === undefined) throw new Error(`no bench case ${file} (${state})`);
  return found;
}

/** What the function answers without remembering anything: decode, compose, encode. */
function fullAnswer(wire: Uint8Array): Buffer {
  return encodeRunFunctionResponse(runFunction(decodeRunFunctionRequest(wire), OPTIONS).response);
}

/** The request with `change` applied to its XR (a copy). */
function withXr(req: RunFunctionRequest, change: (xr: JsonObject) => JsonObject): RunFunctionRequest {
  const composite = req.observed?.composite;
  if (composite?.resource === undefined) throw new Error('request without an XR');
  return { ...req, observed: { resources: req.observed?.resources ?? {}, composite: { ...composite, resource: change(structuredClone(composite.resource)) } } };
}

/** The request with `change` applied to observed resource `name` (undefined removes it). */
function withObserved(req: RunFunctionRequest, name: string, change: (resource: JsonObject) => JsonObject | undefined): RunFunctionRequest {
  const resources = { ...(req.observed?.resources ?? {}) };
  const current = resources[name];
  if (current?.resource === undefined) throw new Error(`no observed resource ${name}`);
  const changed = change(structuredClone(current.resource));
  if (changed === undefined) delete resources[name];
  else resources[name] = { ...current, resource: changed };
  return { ...req, observed: { composite: req.observed?.composite, resources } };
}

const set = (path: JsonPath, value: unknown) => (object: JsonObject) => replaceAt(object, path, value) as JsonObject;

interface Step {
  reason: string;
  change: (req: RunFunctionRequest) => RunFunctionRequest;
  reused: boolean;
}

interface SequenceCase {
  reason: string;
  file: string;
  state: Case['state'];
  memoBytes?: number;
  steps: Step[];
}

const same: Step = { reason: 'the same content, maps in another order', change: (req) => req, reused: true };

const sequences: SequenceCase[] = [
  {
    reason: 'a first reconcile answers again while only the XR status moves on',
    file: 'environment/prod.yaml',
    state: 'new',
    steps: [
      same,
      { reason: 'the XR resourceVersion changed', change: (req) => withXr(req, set(['metadata', 'resourceVersion'], '2')), reused: true },
      { reason: 'the XR status changed', change: (req) => withXr(req, set(['status'], { conditions: [{ type: 'Synced', status: 'True' }] })), reused: true },
      { reason: 'a spec field the render reads changed', change: (req) => withXr(req, set(['spec', 'network', 'cidr'], '10.9.0.0/16')), reused: false },
      same,
    ],
  },
  {
    reason: 'a created Environment answers again when nothing it read changed, and composes when something did',
    file: 'environment/prod.yaml',
    state: 'created',
    steps: [
      same,
      { reason: 'an observed resourceVersion changed', change: (req) => withObserved(req, 'vpc', set(['metadata', 'resourceVersion'], '99')), reused: true },
      { reason: 'an observed spec field changed (not read)', change: (req) => withObserved(req, 'vpc', set(['spec', 'forProvider', 'tags', 'extra'], 'x')), reused: true },
      { reason: 'the VPC id it reads changed', change: (req) => withObserved(req, 'vpc', set(['status', 'atProvider', 'id'], 'vpc-other')), reused: false },
      { reason: 'a Ready condition it reads changed', change: (req) => withObserved(req, 'release-karpenter', set(['status', 'conditions'], [{ type: 'Ready', status: 'False' }])), reused: false },
      { reason: 'an observed resource went away', change: (req) => withObserved(req, 'release-karpenter', () => undefined), reused: false },
      same,
    ],
  },
  {
    reason: 'a changed EnvironmentConfig composes again',
    file: 'environment/dev.yaml',
    state: 'new',
    steps: [
      same,
      {
        reason: 'an EnvironmentConfig changed',
        change: (req) => {
          const required = structuredClone(req.requiredResources);
          const first = Object.values(required)[0]?.items[0]?.resource;
          if (first === undefined) throw new Error('no required resource');
          (first.metadata as JsonObject).labels = { changed: 'yes' };
          return { ...req, requiredResources: required };
        },
        reused: false,
      },
      same,
    ],
  },
  {
    reason: 'nothing is kept for a request with credentials',
    file: 'storage/fast.yaml',
    state: 'new',
    steps: [
      { reason: 'credentials given', change: (req) => ({ ...req, credentials: { aws: { credentialData: { data: { key: Buffer.from('secret') } } } } }), reused: false },
      { reason: 'the same again', change: (req) => req, reused: false },
    ],
  },
  {
    reason: 'a Fatal is never kept',
    file: 'storage/fast.yaml',
    state: 'new',
    steps: [
      { reason: 'an invalid spec', change: (req) => withXr(req, set(['spec', 'size'], 'lots')), reused: false },
      { reason: 'the same again', change: (req) => req, reused: false },
    ],
  },
  {
    reason: 'with a budget of 0 nothing is kept',
    file: 'hub/hub.yaml',
    state: 'created',
    memoBytes: 0,
    steps: [
      { ...same, reused: false },
      { ...same, reused: false },
    ],
  },
];

describe('IncrementalRenderer', () => {
  it.each(sequences.map((s) => [s.reason, s] as const))('%s', (_reason, sequence) => {
    const base = caseOf(sequence.file, sequence.state).request;
    const renderer = new IncrementalRenderer(OPTIONS, sequence.memoBytes);
    renderer.render(crossplaneWire(base, seededRandom(1)));
    let req = base;
    for (const [index, step] of sequence.steps.entries()) {
      req = step.change(req);
      const wire = crossplaneWire(req, seededRandom(index + 2));
      const got = renderer.render(wire);
      expect({ step: step.reason, reused: got.reused }).toEqual({ step: step.reason, reused: step.reused });
      expect(got.answer.equals(fullAnswer(wire)), step.reason).toBe(true);
    }
  });

  it('answers with the request tag and TTL of the request, not of the render it reuses', () => {
    const base = caseOf('environment/dev.yaml', 'new').request;
    const renderer = new IncrementalRenderer({ ttlSeconds: 30 });
    renderer.render(RunFunctionRequest.encode({ ...base, meta: { tag: 'first', capabilities: [] } }).finish());
    const second = renderer.render(RunFunctionRequest.encode({ ...base, meta: { tag: 'second', capabilities: [] } }).finish());
    expect(second.reused).toBe(true);
    expect(decodeResponseMeta(second.answer)).toEqual({ tag: 'second', ttl: { seconds: 30, nanos: 0 } });
  });

  it('shares one copy of the EnvironmentConfigs between XRs that read the same', () => {
    const base = caseOf('environment/dev.yaml', 'new').request;
    const renderer = new IncrementalRenderer(OPTIONS);
    for (let i = 0; i < 5; i++) {
      renderer.render(crossplaneWire(withXr(base, set(['metadata', 'name'], `dev-${i}`)), seededRandom(i)));
    }
    expect(renderer.stats).toMatchObject({ entries: 5, sharedInputs: 1 });
  });

  it('keeps no answer under MIN_KEPT_RESPONSE_BYTES, and stops recording what that XR reads', () => {
    const base = caseOf('project/database.yaml', 'created').request;
    expect(caseOf('project/database.yaml', 'created').responseBytes.length).toBeLessThan(MIN_KEPT_RESPONSE_BYTES);
    const renderer = new IncrementalRenderer(OPTIONS);
    for (let i = 0; i < 3; i++) {
      const wire = crossplaneWire(withXr(base, set(['metadata', 'resourceVersion'], String(i))), seededRandom(i));
      const got = renderer.render(wire);
      expect(got.reused).toBe(false);
      expect(got.answer.equals(fullAnswer(wire))).toBe(true);
    }
    expect(renderer.stats).toMatchObject({ entries: 0, sharedInputs: 0, bytes: 0 });
  });

  it('records an XR again once its answers grow past MIN_KEPT_RESPONSE_BYTES', () => {
    // The on-prem Environment's first answer is 3 KiB, its fully created one 56 KiB.
    const first = caseOf('environment/onprem.yaml', 'new');
    const created = caseOf('environment/onprem.yaml', 'created');
    expect(first.responseBytes.length).toBeLessThan(MIN_KEPT_RESPONSE_BYTES);
    expect(created.responseBytes.length).toBeGreaterThan(MIN_KEPT_RESPONSE_BYTES);
    const renderer = new IncrementalRenderer(OPTIONS);
    const steps = [first.request, first.request, created.request, created.request, withXr(created.request, set(['metadata', 'resourceVersion'], '9'))];
    const reused = steps.map((req, i) => {
      const wire = crossplaneWire(req, seededRandom(i));
      const got = renderer.render(wire);
      expect(got.answer.equals(fullAnswer(wire))).toBe(true);
      return got.reused;
    });
    // Small: composed without recording. Large: composed unrecorded once (the XR was small),
    // then composed recording and kept, then reused.
    expect(reused).toEqual([false, false, false, false, true]);
  });

  it('keeps within its budget, dropping the least recently used XR first', () => {
    const base = caseOf('environment/dev.yaml', 'new').request;
    const one = new IncrementalRenderer(OPTIONS);
    one.render(crossplaneWire(base, seededRandom(1)));
    const budget = Math.floor(one.stats.bytes * 2.5);
    const renderer = new IncrementalRenderer(OPTIONS, budget);
    const named = (i: number) => crossplaneWire(withXr(base, set(['metadata', 'name'], `dev-${i}`)), seededRandom(i));
    for (let i = 0; i < 6; i++) {
      renderer.render(named(i));
      expect(renderer.stats.bytes).toBeLessThanOrEqual(budget);
    }
    expect(renderer.render(named(5)).reused).toBe(true);
    expect(renderer.render(named(0)).reused).toBe(false);
  });

  it('throws MalformedRequestError for bytes that are not a request', () => {
    const renderer = new IncrementalRenderer(OPTIONS);
    expect(() => renderer.render(Buffer.from([0x12, 0x7f, 0x01]))).toThrow(MalformedRequestError);
  });
});

/** The meta of an encoded response, as the SDK decodes it. */
function decodeResponseMeta(answer: Buffer): unknown {
  return RunFunctionResponse.decode(answer).meta;
}

describe('incremental rendering over changing requests (property)', () => {
  // Every example of every kind, first reconcile and fully created: each step changes
  // something (a leaf anywhere in the XR or an observed resource, a status id the
  // composers read, a resource removed) or nothing, with maps in a new order; the
  // incremental answer must be the full render's, byte for byte.
  type Change =
    | { at: 'xr'; pick: number; value: string | number | boolean }
    | { at: 'observed'; resource: number; pick: number; value: string | number | boolean }
    | { at: 'status'; resource: number; pick: number; value: string }
    | { at: 'remove'; resource: number }
    | { at: 'nothing' };
  const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: 0, max: 3 }), fc.boolean());
  const outcomes = { reused: 0, composed: 0 };
  const change: fc.Arbitrary<Change> = fc.oneof(
    fc.record({ at: fc.constant('xr' as const), pick: fc.nat(), value }),
    fc.record({ at: fc.constant('observed' as const), resource: fc.nat(), pick: fc.nat(), value }),
    fc.record({ at: fc.constant('status' as const), resource: fc.nat(), pick: fc.nat(), value: fc.constantFrom('changed', 'True', 'False', 'remove') }),
    fc.record({ at: fc.constant('remove' as const), resource: fc.nat() }),
    fc.constant({ at: 'nothing' as const }),
  );

  function apply(req: RunFunctionRequest, step: Change): RunFunctionRequest {
    if (step.at === 'nothing') return req;
    if (step.at === 'xr') {
      const xr = req.observed?.composite?.resource ?? {};
      const paths = pathsOf(xr).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
      const path = paths[step.pick % Math.max(1, paths.length)];
      return path === undefined ? req : withXr(req, set(path, step.value));
    }
    const names = Object.keys(req.observed?.resources ?? {}).sort();
    const name = names[step.resource % Math.max(1, names.length)];
    if (name === undefined) return req;
    if (step.at === 'remove') return withObserved(req, name, () => undefined);
    const resource = req.observed?.resources[name]?.resource ?? {};
    const paths = step.at === 'status' ? pathsOf(resource.status, ['status']) : pathsOf(resource);
    const path = paths[step.pick % Math.max(1, paths.length)];
    return path === undefined ? req : withObserved(req, name, set(path, step.value === 'remove' ? REMOVE : step.value));
  }

  it.each(cases.map((c) => [`${c.file} (${c.state})`, c] as const))('%s', (_name, c) => {
    // PROPERTY_RUNS scales the runs for a longer soak, as in test/property.
    const runs = (c.state === 'created' && c.kind === 'Environment' ? 3 : 6) * Number(process.env.PROPERTY_RUNS ?? 1);
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 6 }), fc.nat(), (steps, seed) => {
        const renderer = new IncrementalRenderer(OPTIONS);
        let req = c.request;
        renderer.render(crossplaneWire(req, seededRandom(seed)));
        for (const [index, step] of steps.entries()) {
          req = apply(req, step);
          const wire = crossplaneWire(req, seededRandom(seed + index + 1));
          const got = renderer.render(wire);
          outcomes[got.reused ? 'reused' : 'composed'] += 1;
          expect(got.answer.equals(fullAnswer(wire))).toBe(true);
        }
      }),
      { seed: 20_261_122, numRuns: runs, endOnFailure: true },
    );
  });

  it('exercised both paths: answers reused and answers composed again', () => {
    expect(outcomes.reused).toBeGreaterThan(20);
    expect(outcomes.composed).toBeGreaterThan(20);
  });
});

describe('InputReads', () => {
  const observed = () => ({
    xr: { metadata: { name: 'x' }, spec: { size: 1, list: [{ b: 1, a: 2 }] } },
    resources: { vpc: { status: { atProvider: { id: 'vpc-1' }, conditions: [{ type: 'Ready', status: 'True' }] } }, zone: { status: {} } },
  });
  const source = (inputs: ReturnType<typeof observed>) => ({
    xr: inputs.xr as JsonObject,
    names: new Set(Object.keys(inputs.resources)),
    resource: (name: string) => (inputs.resources as Record<string, JsonObject>)[name],
  });

  it('hands out read-only views that read like the objects', () => {
    const view = new InputReads().track(observed());
    const vpc = view.resources.vpc as { status: { atProvider: { id: string } } };
    expect(vpc.status.atProvider.id).toBe('vpc-1');
    expect(Object.keys(view.resources)).toEqual(['vpc', 'zone']);
    expect('zone' in view.resources).toBe(true);
    expect(JSON.parse(JSON.stringify(view.xr))).toEqual(observed().xr);
    expect({ ...(view.xr.spec as JsonObject) }).toEqual(observed().xr.spec);
    expect(() => {
      (view.xr as JsonObject).spec = {};
    }).toThrow(TypeError);
    expect(() => Object.freeze(view.xr)).toThrow(TypeError);
  });

  const table: Array<{ reason: string; read: (view: ReturnType<InputReads['track']>) => unknown; change: (inputs: ReturnType<typeof observed>) => void; same: boolean }> = [
    { reason: 'a value read, unchanged elsewhere', read: (v) => (v.resources.vpc as JsonObject).status, change: (i) => void ((i.resources.zone.status as JsonObject).x = 1), same: true },
    {
      reason: 'a value read changed',
      read: (v) => ((v.resources.vpc as { status: { atProvider: { id: string } } }).status.atProvider.id),
      change: (i) => void (i.resources.vpc.status.atProvider.id = 'vpc-2'),
      same: false,
    },
    { reason: 'a resource looked up went away', read: (v) => v.resources.zone, change: (i) => void delete (i.resources as Partial<typeof i.resources>).zone, same: false },
    { reason: 'the names listed changed', read: (v) => Object.keys(v.resources), change: (i) => void ((i.resources as JsonObject).extra = {}), same: false },
    { reason: 'the names listed came in another order', read: (v) => Object.keys(v.resources), change: (i) => void (i.resources = { zone: i.resources.zone, vpc: i.resources.vpc }), same: true },
    { reason: 'an array read came with its objects keys in another order', read: (v) => (v.xr.spec as JsonObject).list, change: (i) => void (i.xr.spec.list = [{ a: 2, b: 1 }]), same: true },
    { reason: 'an array read changed', read: (v) => (v.xr.spec as JsonObject).list, change: (i) => void (i.xr.spec.list = [{ a: 3, b: 1 }]), same: false },
    { reason: 'a missing field read appeared', read: (v) => (v.xr.spec as JsonObject).other, change: (i) => void ((i.xr.spec as JsonObject).other = 'x'), same: false },
    { reason: 'a field never read changed', read: (v) => (v.xr.metadata as JsonObject).name, change: (i) => void (i.xr.spec.size = 2), same: true },
  ];
  it.each(table.map((t) => [t.reason, t] as const))('%s', (_reason, t) => {
    const reads = new InputReads();
    t.read(reads.track(observed()));
    const next = observed();
    t.change(next);
    expect(reads.sameIn(source(next))).toBe(t.same);
  });
});

describe('LazyRequest', () => {
  it.each(cases.filter((c) => c.state === 'created').map((c) => [c.file, c] as const))('decodes %s as the full decoder does', (_file, c) => {
    const wire = crossplaneWire(c.request, seededRandom(3));
    const lazy = new LazyRequest(wire);
    expect(lazy.full()).toEqual(decodeRunFunctionRequest(wire));
    const names = Object.keys(c.request.observed?.resources ?? {});
    const composed = lazy.composedNames();
    expect(composed.size).toBe(names.length);
    expect(names.every((name) => composed.has(name))).toBe(true);
    expect(composed.has('not-composed')).toBe(false);
  });

  it('reads only the keys a pruning lists', () => {
    const c = caseOf('environment/prod.yaml', 'created');
    const lazy = new LazyRequest(RunFunctionRequest.encode(c.request).finish());
    const status = lazy.observedStruct('vpc', new Map([['status', new Map([['atProvider', new Map([['id', undefined]])]])]]));
    expect(status).toEqual({ status: { atProvider: { id: 'vpc-prod' } } });
    expect(lazy.observedStruct('missing', undefined)).toBeUndefined();
  });
});

describe('requestKey', () => {
  const c = caseOf('environment/prod.yaml', 'created');

  it("keys a request by Crossplane's tag, so the same content in another map order finds the same answer", () => {
    const first = crossplaneWire(c.request, seededRandom(1));
    const second = crossplaneWire(c.request, seededRandom(2));
    expect(first.equals(second)).toBe(false);
    expect(requestKey(first)).toBe(requestKey(second));
    expect(requestKey(first)).toBe(`tag:${crossplaneTag(c.request)}:${first.length}`);
  });

  it('keys a request with a tag of another form by the hash of its bytes', () => {
    const bytes = RunFunctionRequest.encode({ ...c.request, meta: { tag: 'tag-1', capabilities: [] } }).finish();
    expect(requestKey(bytes)).toMatch(/^[0-9a-f]{64}$/);
    const reordered = RunFunctionRequest.encode(shuffleKeys({ ...c.request, meta: { tag: 'tag-1', capabilities: [] } }, seededRandom(1))).finish();
    expect(requestKey(reordered)).not.toBe(requestKey(bytes));
  });
});

describe('sameContent', () => {
  it('compares content whatever its key order', () => {
    const a = { b: [1, { d: 2, c: null }], a: 'x', u: undefined };
    const b = { a: 'x', b: [1, { c: null, d: 2 }] };
    // A key present with undefined is a key: decoded content never has one, so it counts as other content.
    expect(sameContent(a, b)).toBe(false);
    expect(sameContent({ a: 'x', b: [1, { c: null, d: 2 }] }, b)).toBe(true);
    expect(sameContent({ a: 'x', b: [{ c: null, d: 2 }, 1] }, b)).toBe(false);
    expect(sameContent({ a: 'x' }, { a: 'x', b: undefined })).toBe(false);
    expect(sameContent(Buffer.from('ab'), Buffer.from('ab'))).toBe(true);
    expect(sameContent(Buffer.from('ab'), Buffer.from('ac'))).toBe(false);
  });
});

describe('LazyRequest on messages the decoder reads in its own way', () => {
  it('lets a second observed state replace the first, as the decoder does', () => {
    const c = caseOf('hub/hub.yaml', 'created');
    const first = Buffer.from(RunFunctionRequest.encode({ ...c.request, meta: undefined }).finish());
    const onlyObserved = RunFunctionRequest.encode({ ...caseOf('environment/dev.yaml', 'created').request, meta: undefined, requiredResources: {}, desired: undefined }).finish();
    // Protobuf lets a message field appear twice; the SDK's decoder (and ours) keeps the last.
    const twice = Buffer.concat([first, Buffer.from(onlyObserved)]);
    const lazy = new LazyRequest(twice);
    expect(lazy.full()).toEqual(decodeRunFunctionRequest(twice));
    expect(lazy.full()).toEqual(RunFunctionRequest.decode(twice));
  });
});
