import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ready, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { parseManifests } from '../../scripts/lib/schema-validator.js';
import { REPO_ROOT } from '../../scripts/lib/validation.js';

export type JsonObject = Record<string, unknown>;

/** Reads the one manifest in a repository file. */
export function readManifest(path: string): JsonObject {
  const [manifest] = parseManifests(readFileSync(join(REPO_ROOT, path), 'utf8'), path);
  if (manifest === undefined) throw new Error(`${path} is empty`);
  return manifest;
}

/** The example platform-environment EnvironmentConfig (dev on AWS). */
export function platformEnvironment(): JsonObject {
  return readManifest('examples/environment-cluster/platform-environment.yaml');
}

/** A Storage XR as Crossplane sends it: metadata with uid, spec with crossplane's own fields. */
export function storageXr(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'platform.projectcatalyst.io/v1alpha1',
    kind: 'Storage',
    metadata: { name: 'data', namespace: 'forge-api', uid: '6f1c1a52-0000-4000-8000-000000000001', ...metadata },
    spec: { ...spec, crossplane: { compositionRef: { name: 'storage' } } },
  };
}

/** Options of {@link request}. */
export interface RequestOptions {
  /** Required resources by requirement name; omit to model the first call. */
  required?: Record<string, JsonObject[]>;
  observed?: Record<string, JsonObject>;
  tag?: string;
}

/** A RunFunctionRequest for one XR. */
export function request(xr: JsonObject, options: RequestOptions = {}): RunFunctionRequest {
  const resources: NonNullable<RunFunctionRequest['observed']>['resources'] = {};
  for (const [name, resource] of Object.entries(options.observed ?? {})) {
    resources[name] = { resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED };
  }
  const requiredResources: RunFunctionRequest['requiredResources'] = {};
  for (const [name, items] of Object.entries(options.required ?? {})) {
    requiredResources[name] = { items: items.map((resource) => ({ resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED })) };
  }
  return {
    meta: { tag: options.tag ?? 'tag-1', capabilities: [] },
    observed: { composite: { resource: xr, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED }, resources },
    desired: { composite: undefined, resources: {} },
    input: undefined,
    context: undefined,
    extraResources: {},
    credentials: {},
    requiredResources,
    requiredSchemas: {},
  };
}

/** The requirement name under which Storage asks for platform-environment. */
export const PLATFORM_ENVIRONMENT_REQUIREMENT = 'environment-config-platform-environment';

/** Required resources with the example platform-environment supplied. */
export function withPlatformEnvironment(config: JsonObject = platformEnvironment()): Record<string, JsonObject[]> {
  return { [PLATFORM_ENVIRONMENT_REQUIREMENT]: [config] };
}
