import type { z } from 'zod';
import { FatalError, formatIssues } from '../errors.js';

/** How to find one EnvironmentConfig: by name or by labels (exactly one must match). */
export interface ConfigSelector {
  apiVersion: 'apiextensions.crossplane.io/v1beta1';
  kind: 'EnvironmentConfig';
  matchName?: string;
  matchLabels?: Readonly<Record<string, string>>;
}

/** One EnvironmentConfig in a merge, and the requirement key Crossplane answers it under. */
export interface ConfigLayer {
  requirementName: string;
  selector: ConfigSelector;
}

/** Resources Crossplane supplied for one requirement (`items` empty: nothing matched). */
export interface SuppliedResources {
  items: ReadonlyArray<{ resource?: Record<string, unknown> | undefined }>;
}

/** The outcome of resolving a config: still waiting for Crossplane, or merged and valid. */
export type Resolution<T> = { state: 'pending' } | { state: 'resolved'; data: T };

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

/** Describes a selector for messages: `EnvironmentConfig "platform-environment"` or `... labelled a=b`. */
export function describeSelector(selector: ConfigSelector): string {
  if (selector.matchName !== undefined) return `EnvironmentConfig "${selector.matchName}"`;
  const labels = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `EnvironmentConfig labelled ${labels}`;
}

/** A resource selector as Crossplane's protocol carries it. */
export interface ProtocolSelector {
  apiVersion: string;
  kind: string;
  matchName?: string;
  matchLabels?: { labels: Record<string, string> };
  namespace?: string;
}

/** One extra resource to fetch by name (and namespace, for namespaced kinds). */
export interface NamedRequirement {
  requirementName: string;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The requirements to return to Crossplane for these layers and extra resources, keyed by requirement name. */
export function requirementsFor(layers: readonly ConfigLayer[], extra: readonly NamedRequirement[] = []): Record<string, ProtocolSelector> {
  const resources: Record<string, ProtocolSelector> = {};
  for (const { requirementName, selector } of layers) {
    resources[requirementName] =
      selector.matchName !== undefined
        ? { apiVersion: selector.apiVersion, kind: selector.kind, matchName: selector.matchName }
        : { apiVersion: selector.apiVersion, kind: selector.kind, matchLabels: { labels: { ...selector.matchLabels } } };
  }
  for (const { requirementName, apiVersion, kind, name, namespace } of extra) {
    resources[requirementName] = { apiVersion, kind, matchName: name, ...(namespace !== undefined ? { namespace } : {}) };
  }
  return resources;
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
 * Resolves the EnvironmentConfigs for one XR: returns `pending` while Crossplane
 * has not yet supplied a requirement, fails when a config is missing or
 * ambiguous, then merges the layers in order (and the override last) and
 * validates the result with `schema`.
 *
 * @throws FatalError naming the config and the field that is wrong.
 */
export function resolveConfig<S extends z.ZodType>(
  layers: readonly ConfigLayer[],
  supplied: Readonly<Record<string, SuppliedResources | undefined>>,
  schema: S,
  override?: ConfigOverride,
): Resolution<z.output<S>> {
  const loaded: LoadedLayer[] = [];
  for (const { requirementName, selector } of layers) {
    const resources = supplied[requirementName];
    if (resources === undefined) return { state: 'pending' };
    const wanted = describeSelector(selector);
    if (resources.items.length === 0) {
      throw new FatalError(`cannot find ${wanted}: it is required and does not exist`);
    }
    if (resources.items.length > 1) {
      const names = resources.items.map((item) => String((item.resource?.metadata as JsonObject | undefined)?.name ?? '?')).sort();
      throw new FatalError(`cannot choose ${wanted}: ${names.length} match (${names.join(', ')}), exactly one must`);
    }
    const resource = resources.items[0]?.resource ?? {};
    const name = String((resource.metadata as JsonObject | undefined)?.name ?? '?');
    const data = resource.data ?? {};
    if (!isPlainObject(data)) throw new FatalError(`cannot use EnvironmentConfig "${name}": data must be an object`);
    loaded.push({ source: `EnvironmentConfig "${name}"`, data });
  }
  if (override !== undefined && override.data !== undefined) {
    loaded.push({ source: override.source, data: override.data });
  }

  const result = schema.safeParse(loaded.reduce<unknown>((merged, layer) => mergePatch(merged, layer.data), {}));
  if (!result.success) {
    const first = result.error.issues[0];
    const culprit = first === undefined ? loaded.map((l) => l.source).join(' + ') : blame(loaded, first.path);
    throw new FatalError(`cannot use ${culprit}: ${formatIssues(result.error.issues, ['data'])}`);
  }
  return { state: 'resolved', data: result.data };
}

