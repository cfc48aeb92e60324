import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ready, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { requestFor } from '../../scripts/lib/in-process.js';
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

/** A RunFunctionRequest for one XR, with required resources given as plain objects. */
export function request(xr: JsonObject, options: RequestOptions = {}): RunFunctionRequest {
  const requiredResources: RunFunctionRequest['requiredResources'] = {};
  for (const [name, items] of Object.entries(options.required ?? {})) {
    requiredResources[name] = { items: items.map((resource) => ({ resource, connectionDetails: {}, ready: Ready.READY_UNSPECIFIED })) };
  }
  return requestFor(xr, { required: requiredResources, ...(options.observed !== undefined ? { observed: options.observed } : {}), ...(options.tag !== undefined ? { tag: options.tag } : {}) });
}

/** The requirement name under which Storage asks for platform-environment. */
export const PLATFORM_ENVIRONMENT_REQUIREMENT = 'environment-config-platform-environment';

/** Required resources with the example platform-environment supplied. */
export function withPlatformEnvironment(config: JsonObject = platformEnvironment()): Record<string, JsonObject[]> {
  return { [PLATFORM_ENVIRONMENT_REQUIREMENT]: [config] };
}

/** Every EnvironmentConfig of the platform cluster, as the repository ships them. */
export function platformConfigs(): JsonObject[] {
  return ['base', 'dev', 'staging', 'prod', 'onprem'].map((name) => readManifest(`environment-configs/${name}.yaml`));
}

/**
 * What the Environment Composition has Crossplane fetch before every call:
 * every EnvironmentConfig, every Hub (the example Hub with its status unless
 * given) and every Environment (none besides the XR unless given).
 */
export function environmentRequired(options: { configs?: JsonObject[]; hubs?: JsonObject[]; environments?: JsonObject[] } = {}): Record<string, JsonObject[]> {
  return { 'environment-configs': options.configs ?? platformConfigs(), hubs: options.hubs ?? [readManifest('examples/required/hub.yaml')], environments: options.environments ?? [] };
}

/** What the Hub Composition has Crossplane fetch before every call: every EnvironmentConfig (it reads base's zone table). */
export function hubRequired(options: { configs?: JsonObject[] } = {}): Record<string, JsonObject[]> {
  return { 'environment-configs': options.configs ?? platformConfigs() };
}
