/** What `npm run bench` measures: every example, first reconcile and fully created. */
import { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { benchCases, type BenchCase } from './bench.js';
import { exampleRenders } from './examples.js';
import { resourcesOf, settleInProcess } from './settle.js';

/** A bench case and which reconcile it is: the first (nothing exists yet) or one of a fully created XR. */
export type Case = BenchCase & { state: 'new' | 'created' };

/** Kinds whose fully created reconcile is measured too: the ones that compose more than a handful of resources. */
const CREATED_KINDS = new Set(['Environment', 'Hub', 'Database']);

/**
 * The reconcile of a fully created XR, for the examples of {@link CREATED_KINDS}:
 * the request once everything it composes exists, is Ready and reports its ids
 * (scripts/lib/settle.ts). That is what Crossplane sends every poll after creation;
 * the observed state makes the request about as large as the response.
 */
function createdCases(): Case[] {
  return exampleRenders()
    .filter((example) => CREATED_KINDS.has(String(example.input.xr.kind)))
    .map((example) => {
      const xr = example.input.xr;
      const spec = (xr.spec ?? {}) as Record<string, unknown>;
      const environment = typeof spec.environment === 'string' && xr.kind === 'Environment' ? spec.environment : undefined;
      const { request, response } = settleInProcess(xr, example.input.requiredResources ?? []);
      return {
        file: example.file,
        kind: String(xr.kind),
        ...(environment !== undefined ? { environment } : {}),
        state: 'created' as const,
        request,
        requestBytes: Buffer.from(RunFunctionRequest.encode(request).finish()),
        responseBytes: Buffer.from(RunFunctionResponse.encode(response).finish()),
        resources: Object.keys(resourcesOf(response)).length,
      };
    });
}

/** Every example's first reconcile, then the fully created reconciles of {@link CREATED_KINDS}. */
export function allBenchCases(): Case[] {
  return [...benchCases().map((c) => ({ ...c, state: 'new' as const })), ...createdCases()];
}
