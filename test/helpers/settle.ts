import type { RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../../functions/platform/src/run-function.js';
import { environmentAtProvider, settle, type Resources } from '../../scripts/lib/settle.js';
import { readManifest, request, type JsonObject } from './requests.js';

export { environmentAtProvider, observeAll, resourcesOf, settle, type Resources } from '../../scripts/lib/settle.js';

const CONFIG_NAMES = ['base', 'dev', 'staging', 'prod', 'onprem'] as const;

/** Renders an Environment XR to its fully created state with the repository's EnvironmentConfigs and Hub fixture. */
export function settleEnvironment(xr: JsonObject): { resources: Resources; response: RunFunctionResponse; rounds: number } {
  const configs = Object.fromEntries(CONFIG_NAMES.map((n) => [n, readManifest(`environment-configs/${n}.yaml`)]));
  const spec = xr.spec as { environment: string };
  const required = {
    'environment-config-base': [configs.base as JsonObject],
    'environment-config-environment': configs[spec.environment] === undefined ? [] : [configs[spec.environment] as JsonObject],
    hub: [readManifest('examples/required/hub.yaml')],
  };
  const withUid = { ...xr, metadata: { ...(xr.metadata as JsonObject), uid: 'settled' } };
  return settle((observed) => runFunction(request(withUid, { required, observed }), { ttlSeconds: 60 }).response, environmentAtProvider(spec.environment));
}
