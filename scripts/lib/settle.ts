/**
 * Driving a render to its fully created state in-process: each round's
 * desired resources are fed back as their providers report them
 * (providers.ts). Tests check fully created states with it; the bench measures
 * the reconcile of a fully created XR with it; test/e2e proves the real
 * Crossplane engine reaches the same state.
 */
import { Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { composeInProcess, type InProcessResult } from './in-process.js';
import { computedFor, observeAll, type ComputedValues } from './providers.js';

type JsonObject = Record<string, unknown>;

export type Resources = Record<string, JsonObject>;

/** Desired resources of a response, failing loudly on a Fatal. */
export function resourcesOf(response: RunFunctionResponse): Resources {
  const fatal = response.results.filter((r) => r.severity === Severity.SEVERITY_FATAL);
  if (fatal.length > 0) throw new Error(fatal.map((r) => r.message).join('; '));
  return Object.fromEntries(Object.entries(response.desired?.resources ?? {}).map(([k, v]) => [k, v.resource as JsonObject]));
}

/**
 * Renders until nothing waits any more, feeding each round's desired
 * resources back as their providers report them (providers.ts): the state of
 * a fully created XR.
 */
export function settle(render: (observed: Resources) => RunFunctionResponse, computed: ComputedValues): { resources: Resources; response: RunFunctionResponse; rounds: number } {
  let observed: Resources = {};
  for (let round = 1; round <= 10; round++) {
    const response = render(observed);
    const resources = resourcesOf(response);
    const pending = (response.desired?.composite?.resource?.status as JsonObject | undefined)?.pendingResources;
    if (pending === undefined && Object.keys(resources).length === Object.keys(observed).length) return { resources, response, rounds: round };
    observed = observeAll(resources, computed);
  }
  throw new Error('did not settle in 10 rounds');
}

/**
 * The reconcile of the fully created `xr`, in-process: the last call of
 * {@link settle}, with the EnvironmentConfigs and other required resources
 * answered from `pool`. Ids are named after the XR's `spec.environment`, or its
 * name. Throws unless every round composes.
 */
export function settleInProcess(xr: JsonObject, pool: readonly JsonObject[]): InProcessResult {
  let last: InProcessResult | undefined;
  settle((observed) => {
    last = composeInProcess(xr, pool, { observed });
    if (last.summary.outcome !== 'composed') throw new Error(`${String(xr.kind)} ${JSON.stringify(xr.metadata)}: ${last.summary.outcome} ${last.summary.message ?? ''}`);
    return last.response;
  }, computedFor(xr));
  if (last === undefined) throw new Error(`${String(xr.kind)}: nothing rendered`);
  return last;
}
