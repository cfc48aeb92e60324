import type { JsonObject } from './requests.js';

/** A project XR as Crossplane sends it: metadata with uid, spec with Crossplane's own fields. */
export function projectXr(kind: 'Network' | 'Database', name: string, spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'platform.projectcatalyst.io/v1alpha1',
    kind,
    metadata: { name, namespace: 'forge-api', uid: '6f1c1a52-0000-4000-8000-000000000002', ...metadata },
    spec: { ...spec, crossplane: { compositionRef: { name: kind.toLowerCase() } } },
  };
}

/** A Network XR named api in forge-api. */
export function networkXr(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return projectXr('Network', 'api', spec, metadata);
}

/** A Database XR named main in forge-api. */
export function databaseXr(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return projectXr('Database', 'main', spec, metadata);
}

/** Rebuilds every object with its keys in reverse order (arrays keep their order: it means something). */
export function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const out: JsonObject = {};
  for (const key of Object.keys(value).reverse()) out[key] = reverseKeys((value as JsonObject)[key]);
  return out as T;
}

/** The example platform-environment with `mutate` applied to a copy of its data. */
export function configWith(base: JsonObject, mutate: (data: JsonObject) => void): JsonObject {
  const config = structuredClone(base);
  mutate(config.data as JsonObject);
  return config;
}
