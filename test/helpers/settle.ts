import type { RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../../functions/platform/src/run-function.js';
import { environmentComputed } from '../../scripts/lib/providers.js';
import { settle, type Resources } from '../../scripts/lib/settle.js';
import { environmentRequired, request, type JsonObject } from './requests.js';

export { environmentComputed, hubComputed, observeAll } from '../../scripts/lib/providers.js';
export { resourcesOf, settle, type Resources } from '../../scripts/lib/settle.js';

/** Renders an Environment XR to its fully created state with the repository's EnvironmentConfigs and Hub fixture. */
export function settleEnvironment(xr: JsonObject): { resources: Resources; response: RunFunctionResponse; rounds: number } {
  const spec = xr.spec as { environment: string };
  const required = environmentRequired();
  const withUid = { ...xr, metadata: { ...(xr.metadata as JsonObject), uid: 'settled' } };
  return settle((observed) => runFunction(request(withUid, { required, observed }), { ttlSeconds: 60 }).response, environmentComputed(spec.environment));
}
