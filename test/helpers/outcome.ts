import { encodeRunFunctionResponse } from '../../functions/platform/src/codec/index.js';
import { RunFunctionRequest, RunFunctionResponse, Severity } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../../functions/platform/src/run-function.js';

/**
 * A field path as run-function writes it at the start of a problem:
 * `spec.network.cidr:`, `spec.paths[0].path:`, `metadata.name:`, `spec:`
 * (the whole spec) or `data.x:` for EnvironmentConfig data.
 */
export const FIELD_PATH = /(?:^|: |; )(?:spec|metadata|data|status|apiVersion|kind)(?:\.[^\s:;.[\]]+|\[\d+\])*: /;

/** Messages about EnvironmentConfigs that cannot be found or chosen: they name the config instead of a field. */
export const CONFIG_PROBLEM = /: cannot (?:find|choose|use) EnvironmentConfig /;

/** The encoded bytes of a response: what the server would put on the wire. */
export function responseBytes(response: RunFunctionResponse): Buffer {
  return encodeRunFunctionResponse(response);
}

/** The encoded bytes of a request. */
export function requestBytes(request: RunFunctionRequest): Buffer {
  return Buffer.from(RunFunctionRequest.encode(request).finish());
}

/** Runs the function on a request and returns the response bytes. */
export function runBytes(request: RunFunctionRequest): Buffer {
  return responseBytes(runFunction(request, { ttlSeconds: 60 }).response);
}

export { seededRandom as prng, shuffleKeys } from '../../scripts/lib/crossplane-wire.js';

/** The one Fatal of a response, or a description of why there is not exactly one. */
export function singleFatal(response: RunFunctionResponse): { message: string } | { problem: string } {
  if (response.results.length !== 1) return { problem: `${response.results.length} results: ${JSON.stringify(response.results).slice(0, 500)}` };
  const [result] = response.results;
  if (result?.severity !== Severity.SEVERITY_FATAL) return { problem: `result is not Fatal: ${JSON.stringify(result).slice(0, 500)}` };
  return { message: result.message };
}

/** Whether the response carries a Fatal result. */
export function isFatal(response: RunFunctionResponse): boolean {
  return response.results.some((r) => r.severity === Severity.SEVERITY_FATAL);
}
