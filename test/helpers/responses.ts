import { Ready, Severity, type RunFunctionRequest, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { expect, it } from 'vitest';
import { runFunction } from '../../functions/platform/src/run-function.js';
import type { JsonObject } from './requests.js';

/** The TTL every test response carries (runFunction is called with 60 s). */
export const TTL = { seconds: 60, nanos: 0 };

/** The Fatal of a project kind whose Composition does not have Crossplane fetch platform-environment. */
export const MISSING_PLATFORM_ENVIRONMENT =
  'cannot find required resources "environment-config-platform-environment": the Composition must fetch them (pipeline step requirements); install the Composition this function release generates';

/** Desired composed resources of an expected response, by composition-resource name. */
export type ExpectedResources = Record<string, { resource: JsonObject; ready: Ready }>;

/** The whole response for a composed XR of `kind`: these resources and this status, nothing else. */
export function composedResponse(kind: string, resources: ExpectedResources, status: JsonObject, tag = 'tag-1'): RunFunctionResponse {
  const desired: NonNullable<RunFunctionResponse['desired']>['resources'] = {};
  for (const [name, { resource, ready }] of Object.entries(resources)) desired[name] = { resource, connectionDetails: {}, ready };
  return {
    meta: { tag, ttl: TTL },
    desired: {
      composite: { resource: { apiVersion: 'platform.projectcatalyst.io/v1alpha1', kind, status }, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED },
      resources: desired,
    },
    results: [],
    context: undefined,
    requirements: undefined,
    conditions: [],
  };
}

/** The whole response for a Fatal with this full message, nothing desired. */
export function fatalResponse(message: string): RunFunctionResponse {
  return {
    meta: { tag: 'tag-1', ttl: TTL },
    desired: { composite: undefined, resources: {} },
    results: [{ severity: Severity.SEVERITY_FATAL, message }],
    context: undefined,
    requirements: undefined,
    conditions: [],
  };
}

/** One whole-request to whole-response case. */
export interface TableCase {
  reason: string;
  req: RunFunctionRequest;
  want: RunFunctionResponse;
}

/** Registers one test per case: the response must equal `want` exactly. */
export function tableTests(cases: Record<string, TableCase>): void {
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: ${tc.reason}`, () => {
      expect(runFunction(tc.req, { ttlSeconds: 60 }).response).toEqual(tc.want);
    });
  }
}
