import { Ready, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction, type RunSummary } from '../../functions/platform/src/run-function.js';
import { canonical } from './canonical.js';
import { MAX_REQUIREMENT_ITERATIONS, selectResources, supply } from './render.js';

export { supply };

type JsonObject = Record<string, unknown>;

/** What Crossplane sends back for a requirement: a selector, by name or by labels. */
type Selector = Parameters<typeof selectResources>[1];

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

/** The last call of an in-process requirements loop. */
export interface InProcessResult {
  /** The request of the last call: replaying it gives the same response (what benchmarks and determinism tests need). */
  request: RunFunctionRequest;
  response: RunFunctionResponse;
  summary: RunSummary;
  /** RunFunction calls made. */
  calls: number;
}

/**
 * Runs RunFunction in-process the way Crossplane drives it: call, answer the
 * requirements from `pool`, call again until the requirements settle (at most
 * {@link MAX_REQUIREMENT_ITERATIONS} calls) or the function returns a result.
 * No gRPC: for property tests and the compose benchmark.
 */
export function composeInProcess(
  xr: JsonObject,
  pool: readonly JsonObject[],
  options: { observed?: Readonly<Record<string, JsonObject>>; ttlSeconds?: number } = {},
): InProcessResult {
  let required: RunFunctionRequest['requiredResources'] = {};
  let supplied: string | undefined;
  for (let calls = 1; ; calls++) {
    const request = requestFor(xr, { required, ...(options.observed ? { observed: options.observed } : {}) });
    const { response, summary } = runFunction(request, { ttlSeconds: options.ttlSeconds ?? 60 });
    const selectors = (response.requirements?.resources ?? {}) as Record<string, Selector>;
    const wanted = JSON.stringify(canonical(selectors));
    if (response.results.length > 0 || Object.keys(selectors).length === 0 || wanted === supplied || calls >= MAX_REQUIREMENT_ITERATIONS) {
      return { request, response, summary, calls };
    }
    required = supply(pool, selectors);
    supplied = wanted;
  }
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
