/// <reference types="vite/client" />
import { KINDS, type AnyKindDefinition } from '../../functions/platform/src/kinds/index.js';
import { exampleRenders, type ExampleRender } from '../../scripts/lib/examples.js';

type JsonObject = Record<string, unknown>;

/** Everything the generic checks know about one kind, all derived from the registry, samples and examples. */
export interface KindCase {
  definition: AnyKindDefinition;
  /** Example renders of this kind (examples/). */
  examples: ExampleRender[];
  /** test/samples/<kind>.ts: specs both valid and invalid. */
  samples: unknown[];
  /** Specs the zod schema accepts, from the examples and the samples: the seeds random specs grow from. */
  validSpecs: JsonObject[];
  /** An example XR of the kind (metadata and envelope to put random specs into). */
  xr: JsonObject;
}

const sampleModules = import.meta.glob<{ default: unknown[] }>('../samples/*.ts', { eager: true });

function samplesFor(kind: string): unknown[] {
  for (const [path, module] of Object.entries(sampleModules)) {
    if (path.replace(/^.*\//, '').replace(/\.ts$/, '') === kind.toLowerCase()) return module.default;
  }
  return [];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The user's spec of an XR, without Crossplane's own spec.crossplane. */
export function userSpec(xr: JsonObject): JsonObject {
  const { crossplane: _crossplane, ...spec } = (isObject(xr.spec) ? xr.spec : {}) as JsonObject;
  return spec;
}

/** The XR with another spec in it. */
export function withSpec(xr: JsonObject, spec: unknown): JsonObject {
  return { ...xr, spec };
}

let cached: { cases: KindCase[]; pool: JsonObject[]; examples: ExampleRender[] } | undefined;

function load() {
  if (cached !== undefined) return cached;
  const examples = exampleRenders();
  // Every example is rendered against the same required resources (every EnvironmentConfig shipped).
  const pool = examples[0]?.input.requiredResources ?? [];
  const cases = KINDS.map((definition): KindCase => {
    const own = examples.filter((e) => e.input.xr.kind === definition.kind);
    const samples = samplesFor(definition.kind);
    const candidates = [...own.map((e) => userSpec(e.input.xr)), ...samples.filter(isObject)];
    const validSpecs = candidates.filter((spec) => definition.spec.safeParse(spec).success);
    const xr = own[0]?.input.xr ?? {
      apiVersion: 'platform.projectcatalyst.io/v1alpha1',
      kind: definition.kind,
      metadata: { name: 'sample', namespace: 'sample' },
      spec: validSpecs[0] ?? {},
    };
    return { definition, examples: own, samples, validSpecs, xr };
  });
  cached = { cases, pool, examples };
  return cached;
}

/** One case per kind in KINDS, in registry order. */
export function kindCases(): KindCase[] {
  return load().cases;
}

/** The required resources every example renders against (all EnvironmentConfigs in the repository). */
export function requiredPool(): JsonObject[] {
  return load().pool;
}

/** Every example render (examples/). */
export function allExamples(): ExampleRender[] {
  return load().examples;
}
