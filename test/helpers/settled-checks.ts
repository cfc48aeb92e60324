import { releaseProblems } from '../../scripts/lib/charts.js';
import { defaultValidator, validateManifests } from '../../scripts/lib/validation.js';
import { expandManifests, securityFindings, type Finding } from '../security/checks.js';
import { readManifest, type JsonObject } from './requests.js';
import { settleEnvironment, type Resources } from './settle.js';

/** spec.forProvider of a managed resource, Release or Object. */
export function forProvider(resource: JsonObject | undefined): JsonObject {
  return ((resource?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
}

/** The manifest a provider-kubernetes Object applies. */
export function manifestOf(resources: Resources, key: string): JsonObject {
  return forProvider(resources[key]).manifest as JsonObject;
}

/** An Environment example rendered to its fully created state, optionally with spec.overrides. */
export function settledExample(example: string, overrides?: JsonObject): Resources {
  const xr = readManifest(`examples/environment/${example}.yaml`);
  if (overrides !== undefined) (xr.spec as JsonObject).overrides = overrides;
  return settleEnvironment(xr).resources;
}

let validator: ReturnType<typeof defaultValidator> | undefined;

/** Everything wrong with a settled render, by check: real schemas (Object contents included), chart values, security. */
export function settledProblems(resources: Resources): { schema: string[]; charts: string[]; security: Finding[] } {
  validator ??= defaultValidator();
  const manifests = Object.values(resources);
  const inner = manifests.filter((m) => m.kind === 'Object').map((o) => forProvider(o).manifest as JsonObject);
  const report = validateManifests(validator, [{ file: 'settled', manifests: [...manifests, ...inner] }], { errorOnMissingSchemas: true });
  const charts = manifests
    .filter((m) => m.kind === 'Release')
    .flatMap((r) => releaseProblems(r).map((p) => `${(r.metadata as { name: string }).name}: ${p}`));
  return { schema: report.lines, charts, security: securityFindings(expandManifests(manifests)) };
}
