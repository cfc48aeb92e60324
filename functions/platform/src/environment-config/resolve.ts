import type { z } from 'zod';
import { FatalError, formatIssues, formatProblems, issueProblems } from '../errors.js';

/**
 * Resources Crossplane fetches before every call to the function: the
 * Composition's pipeline step `requirements.requiredResources`. With no name
 * and no labels it lists every object of the kind (in every namespace, for a
 * namespaced kind). Everything the function reads comes this way, so the
 * function never asks for more and Crossplane calls it once per reconcile.
 */
export interface FetchedResources {
  requirementName: string;
  apiVersion: string;
  kind: string;
  name?: string;
  matchLabels?: Readonly<Record<string, string>>;
}

/** One EnvironmentConfig in a merge: which fetched requirement holds it, and how to pick it there (exactly one must match). */
export interface ConfigLayer {
  requirementName: string;
  matchName?: string;
  matchLabels?: Readonly<Record<string, string>>;
}

/** Resources Crossplane supplied for one requirement (`items` empty: nothing matched). */
export interface SuppliedResources {
  items: ReadonlyArray<{ resource?: Record<string, unknown> | undefined }>;
}

/** Extra data merged after every layer, such as `Environment.spec.overrides`. */
export interface ConfigOverride {
  /** How to name it in errors, e.g. `spec.overrides`. */
  source: string;
  data: unknown;
}

type JsonObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Merges `patch` into `base` as JSON Merge Patch (RFC 7386) does: objects merge
 * key by key, arrays and scalars replace, and `null` removes a key. Neither
 * input is modified.
 */
export function mergePatch(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: JsonObject = isPlainObject(base) ? { ...base } : {};
  for (const key of Object.keys(patch).sort()) {
    const value = patch[key];
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** Describes a layer for messages: `EnvironmentConfig "platform-environment"` or `... labelled a=b`. */
export function describeLayer(layer: ConfigLayer): string {
  if (layer.matchName !== undefined) return `EnvironmentConfig "${layer.matchName}"`;
  const labels = Object.entries(layer.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `EnvironmentConfig labelled ${labels}`;
}

type Metadata = { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> };

function metadataOf(resource: Record<string, unknown> | undefined): Metadata {
  const metadata = resource?.metadata;
  return isPlainObject(metadata) ? (metadata as Metadata) : {};
}

/** Whether a fetched resource is the one a layer names (by name, or carrying every label). */
function matches(layer: ConfigLayer, resource: Record<string, unknown> | undefined): boolean {
  const metadata = metadataOf(resource);
  if (layer.matchName !== undefined) return metadata.name === layer.matchName;
  return Object.entries(layer.matchLabels ?? {}).every(([key, value]) => metadata.labels?.[key] === value);
}

/**
 * The resources Crossplane fetched for one requirement. Missing means the
 * Composition does not ask for them, which only an outdated or hand-written
 * Composition does: a Fatal saying so, not a silent second round trip.
 */
export function fetched(supplied: Readonly<Record<string, SuppliedResources | undefined>>, requirementName: string): Array<Record<string, unknown>> {
  const resources = supplied[requirementName];
  if (resources === undefined) {
    throw new FatalError(`cannot find required resources "${requirementName}": the Composition must fetch them (pipeline step requirements); install the Composition this function release generates`);
  }
  return resources.items.flatMap((item) => (item.resource !== undefined ? [item.resource] : []));
}

/** The one fetched resource of `requirementName` in `namespace` named `name`, if any. */
export function fetchedByName(
  supplied: Readonly<Record<string, SuppliedResources | undefined>>,
  requirementName: string,
  namespace: string,
  name: string,
): Record<string, unknown> | undefined {
  return fetched(supplied, requirementName).find((resource) => {
    const metadata = metadataOf(resource);
    return metadata.name === name && metadata.namespace === namespace;
  });
}

interface LoadedLayer {
  source: string;
  data: unknown;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = data;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isPlainObject(current) && typeof segment === 'string') current = current[segment];
    else return undefined;
  }
  return current;
}

/**
 * Names the config(s) to blame for a bad field: the last layer that set it (the
 * one whose value won the merge), or every layer when none did (a required
 * field nobody set).
 */
function blame(layers: readonly LoadedLayer[], path: readonly PropertyKey[]): string {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer !== undefined && valueAt(layer.data, path) !== undefined) return layer.source;
  }
  return layers.map((l) => l.source).join(' + ');
}

/**
 * Resolves the EnvironmentConfigs for one XR: picks each layer among what
 * Crossplane fetched, fails when a config is missing or ambiguous, then merges
 * the layers in order (and the override last) and validates the result with
 * `schema`.
 *
 * @throws FatalError naming the config and the field that is wrong.
 */
export function resolveConfig<S extends z.ZodType>(
  layers: readonly ConfigLayer[],
  supplied: Readonly<Record<string, SuppliedResources | undefined>>,
  schema: S,
  override?: ConfigOverride,
): z.output<S> {
  const loaded: LoadedLayer[] = [];
  for (const layer of layers) {
    const candidates = fetched(supplied, layer.requirementName).filter((resource) => matches(layer, resource));
    const wanted = describeLayer(layer);
    if (candidates.length === 0) {
      throw new FatalError(`cannot find ${wanted}: it is required and does not exist`);
    }
    if (candidates.length > 1) {
      const names = candidates.map((resource) => String(metadataOf(resource).name ?? '?')).sort();
      throw new FatalError(`cannot choose ${wanted}: ${names.length} match (${names.join(', ')}), exactly one must`);
    }
    const resource = candidates[0] ?? {};
    const name = String(metadataOf(resource).name ?? '?');
    const data = resource.data ?? {};
    if (!isPlainObject(data)) throw new FatalError(`cannot use EnvironmentConfig "${name}": data must be an object`);
    loaded.push({ source: `EnvironmentConfig "${name}"`, data });
  }
  if (override !== undefined && override.data !== undefined) {
    loaded.push({ source: override.source, data: override.data });
  }

  const merged = loaded.reduce<unknown>((result, layer) => mergePatch(result, layer.data), {});
  const result = schema.safeParse(merged);
  if (!result.success) {
    // Every issue at once, each blamed on the layer whose value won the merge.
    const blamed = result.error.issues.map((issue) => ({ issue, culprit: blame(loaded, issue.path) }));
    const culprits = [...new Set(blamed.map((b) => b.culprit))];
    if (culprits.length === 1) throw new FatalError(`cannot use ${culprits[0] ?? 'the merged EnvironmentConfig'}: ${formatIssues(result.error.issues, ['data'], schema)}`);
    const problems = blamed.flatMap(({ issue, culprit }) => issueProblems([issue], ['data'], schema).map((p) => ({ ...p, message: `${p.message} (${culprit})` })));
    throw new FatalError(`cannot use the merged EnvironmentConfig: ${formatProblems(problems)}`);
  }
  return result.data;
}
