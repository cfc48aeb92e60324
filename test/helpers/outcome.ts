import { RunFunctionRequest, RunFunctionResponse, Severity } from '@crossplane-org/function-sdk-typescript';
import { runFunction } from '../../functions/platform/src/run-function.js';
import { canonical } from '../../scripts/lib/canonical.js';

/**
 * A field path as run-function writes it at the start of a problem:
 * `spec.network.cidr:`, `spec.paths[0].path:`, `metadata.name:`, `spec:`
 * (the whole spec) or `data.x:` for EnvironmentConfig data.
 */
export const FIELD_PATH = /(?:^|: |; )(?:spec|metadata|data|status|apiVersion|kind)(?:\.[^\s:;.[\]]+|\[\d+\])*: /;

/** Messages about EnvironmentConfigs that cannot be found or chosen: they name the config instead of a field. */
export const CONFIG_PROBLEM = /: cannot (?:find|choose|use) EnvironmentConfig /;

/**
 * The encoded bytes of a response with every object's keys sorted: equal bytes
 * mean the same content, whatever order the builders or the request put keys in
 * (Crossplane reads the answer into maps, so key order carries nothing).
 */
export function responseBytes(response: RunFunctionResponse): Buffer {
  return Buffer.from(RunFunctionResponse.encode(canonical(response)).finish());
}

/** The encoded bytes of a request. */
export function requestBytes(request: RunFunctionRequest): Buffer {
  return Buffer.from(RunFunctionRequest.encode(request).finish());
}

/** Runs the function on a request and returns the response bytes. */
export function runBytes(request: RunFunctionRequest): Buffer {
  return responseBytes(runFunction(request, { ttlSeconds: 60 }).response);
}

/** A small seeded generator (mulberry32): the same seed gives the same sequence, so runs repeat. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A deep copy of `value` with every object's keys in a random order, as
 * Crossplane's Go marshaller writes maps; arrays keep theirs (it means something).
 */
export function shuffleKeys<T>(value: T, random: () => number): T {
  if (Array.isArray(value)) return value.map((item: unknown) => shuffleKeys(item, random)) as T;
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = shuffleKeys((value as Record<string, unknown>)[key], random);
  return out as T;
}

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
