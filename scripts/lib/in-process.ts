import { Ready, Severity, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction, type RunSummary } from '../../functions/platform/src/run-function.js';
import type { FetchedResources } from '../../functions/platform/src/environment-config/resolve.js';
import { findKind } from '../../functions/platform/src/kinds/index.js';

type JsonObject = Record<string, unknown>;

function metadataOf(object: JsonObject): { name?: string; namespace?: string; labels?: Record<string, string> } {
  return (object.metadata ?? {}) as ReturnType<typeof metadataOf>;
}

/**
 * What Crossplane's fetcher returns for one of a Composition step's required
 * resources: by name, by labels, or every object of the kind, sorted by
 * namespace and name as Crossplane sorts them.
 */
export function fetchFromPool(pool: readonly JsonObject[], requirement: FetchedResources): JsonObject[] {
  return pool
    .filter((candidate) => {
      if (candidate.apiVersion !== requirement.apiVersion || candidate.kind !== requirement.kind) return false;
      const metadata = metadataOf(candidate);
      if (requirement.name !== undefined) return metadata.name === requirement.name;
      return Object.entries(requirement.matchLabels ?? {}).every(([key, value]) => metadata.labels?.[key] === value);
    })
    .sort((a, b) => `${metadataOf(a).namespace ?? ''}/${metadataOf(a).name ?? ''}`.localeCompare(`${metadataOf(b).namespace ?? ''}/${metadataOf(b).name ?? ''}`));
}

/** The required resources Crossplane fetches up front for an XR of this kind, answered from `pool`. */
export function requiredFromPool(kind: unknown, pool: readonly JsonObject[]): RunFunctionRequest['requiredResources'] {
  const definition = typeof kind === 'string' ? findKind(kind) : undefined;
  const required: RunFunctionRequest['requiredResources'] = {};
  for (const requirement of definition?.requirements ?? []) {
    required[requirement.requirementName] = {
      items: fetchFromPool(pool, requirement).map((resource) => ({ resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED })),
    };
  }
  return required;
}

/** Options of {@link requestFor}. */
export interface InProcessRequestOptions {
  /** Resources already supplied, by requirement name. */
  required?: RunFunctionRequest['requiredResources'];
  /** Observed composed resources by composition-resource name. */
  observed?: Readonly<Record<string, JsonObject>>;
  tag?: string;
}

/** A RunFunctionRequest for one XR, shaped like the ones Crossplane sends. */
export function requestFor(xr: JsonObject, options: InProcessRequestOptions = {}): RunFunctionRequest {
  const resources: NonNullable<RunFunctionRequest['observed']>['resources'] = {};
  for (const [name, resource] of Object.entries(options.observed ?? {})) {
    resources[name] = { resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED };
  }
  return {
    meta: { tag: options.tag ?? 'tag-1', capabilities: [] },
    observed: { composite: { resource: xr, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED }, resources },
    desired: { composite: undefined, resources: {} },
    input: undefined,
    context: undefined,
    extraResources: {},
    credentials: {},
    requiredResources: options.required ?? {},
    requiredSchemas: {},
  };
}

/** One in-process call, as Crossplane makes it for one reconcile. */
export interface InProcessResult {
  /** The request: replaying it gives the same response (what benchmarks and determinism tests need). */
  request: RunFunctionRequest;
  response: RunFunctionResponse;
  summary: RunSummary;
}

/**
 * Runs RunFunction in-process the way Crossplane calls it for one reconcile:
 * with the resources the kind's Composition fetches up front answered from
 * `pool`, once. No gRPC: for property tests and the compose benchmark.
 */
export function composeInProcess(
  xr: JsonObject,
  pool: readonly JsonObject[],
  options: { observed?: Readonly<Record<string, JsonObject>>; ttlSeconds?: number } = {},
): InProcessResult {
  const request = requestFor(xr, { required: requiredFromPool(xr.kind, pool), ...(options.observed ? { observed: options.observed } : {}) });
  const { response, summary } = runFunction(request, { ttlSeconds: options.ttlSeconds ?? 60 });
  return { request, response, summary };
}

/**
 * The desired composed resources of a response as they would land in the
 * cluster: with the name and namespace Crossplane fills in when the function
 * leaves them out (what schema validation needs to see).
 */
export function desiredManifests(xr: JsonObject, response: RunFunctionResponse): JsonObject[] {
  const xrMeta = (xr.metadata ?? {}) as { name?: string; namespace?: string };
  const resources = response.desired?.resources ?? {};
  return Object.keys(resources)
    .sort()
    .map((key) => {
      const resource = (resources[key]?.resource ?? {}) as JsonObject;
      const metadata = (resource.metadata ?? {}) as JsonObject;
      return {
        ...resource,
        metadata: {
          ...metadata,
          ...(metadata.name === undefined ? { name: `${String(xrMeta.name)}-${key}` } : {}),
          ...(metadata.namespace === undefined && xrMeta.namespace !== undefined ? { namespace: xrMeta.namespace } : {}),
        },
      };
    });
}

/** The XR with the status the function wants for it, for validation against its XRD. */
export function desiredXr(xr: JsonObject, response: RunFunctionResponse): JsonObject {
  const status = (response.desired?.composite?.resource?.status ?? {}) as JsonObject;
  return { ...xr, status: { ...((xr.status ?? {}) as JsonObject), ...status } };
}

/**
 * One reconcile in-process, printed as `crossplane composition render` prints
 * it: the XR with the status the function wants, then every composed resource
 * as Crossplane would apply it. Throws on a Fatal. test/e2e.test.ts proves the
 * real engine composes the same for every example.
 */
export function renderInProcess(xr: JsonObject, pool: readonly JsonObject[], options: { observed?: Readonly<Record<string, JsonObject>> } = {}): JsonObject[] {
  const { response } = composeInProcess(xr, pool, options);
  const fatal = response.results.filter((result) => result.severity === Severity.SEVERITY_FATAL).map((result) => result.message);
  if (fatal.length > 0) throw new Error(fatal.join('; '));
  return [desiredXr(xr, response), ...desiredManifests(xr, response)];
}
