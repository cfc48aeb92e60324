import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaValidator } from './schema-validator.js';
import { formatIssues } from '../../functions/platform/src/errors.js';
import { BASE_CONFIG, ENVIRONMENT_LABEL } from '../../functions/platform/src/environment-config/platform-config.js';
import { environmentConfigSchema } from '../../functions/platform/src/kinds/environment/config.js';
import { PLATFORM_ENVIRONMENT_CONFIG, platformEnvironmentSchema } from '../../functions/platform/src/environment-config/platform-environment.js';
import { mergePatch } from '../../functions/platform/src/environment-config/resolve.js';

/** Root of this repository. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Kinds that are output of a render, not API objects; they have no schema by design. */
const RENDER_ONLY_GROUPS = ['render.crossplane.io/'];

/** Manifests read from one file. */
export interface ManifestSource {
  file: string;
  manifests: Array<Record<string, unknown>>;
}

/** Totals and one line per problem. */
export interface ValidationReport {
  valid: number;
  invalid: number;
  missing: number;
  failed: boolean;
  lines: string[];
}

/** A validator loaded with the project's schemas/ and xrds/, plus any extra CRD directories. */
export function defaultValidator(extraSchemaDirs: readonly string[] = []): SchemaValidator {
  const validator = new SchemaValidator();
  validator.addSchemaDirectory(join(REPO_ROOT, 'schemas'));
  for (const dir of extraSchemaDirs) validator.addSchemaDirectory(dir);
  validator.addXrdDirectory(join(REPO_ROOT, 'xrds'));
  return validator;
}

function identify(manifest: Record<string, unknown>): string {
  const metadata = (manifest.metadata ?? {}) as { name?: string; namespace?: string };
  const name = metadata.namespace ? `${metadata.namespace}/${metadata.name ?? '?'}` : (metadata.name ?? '?');
  return `${String(manifest.apiVersion)} ${String(manifest.kind)} ${name}`;
}

type JsonObject = Record<string, unknown>;

/**
 * Checks EnvironmentConfig data with the function's own schemas (the CRD
 * accepts any data): `platform-environment` alone, and each platform config
 * merged over `base` as the function would merge it.
 */
function environmentConfigIssues(manifest: JsonObject, base: JsonObject | undefined): string | undefined {
  if (manifest.apiVersion !== 'apiextensions.crossplane.io/v1beta1' || manifest.kind !== 'EnvironmentConfig') return undefined;
  const metadata = (manifest.metadata ?? {}) as { name?: string; labels?: Record<string, string> };
  const data = manifest.data ?? {};
  if (metadata.name === PLATFORM_ENVIRONMENT_CONFIG) {
    const result = platformEnvironmentSchema.safeParse(data);
    return result.success ? undefined : formatIssues(result.error.issues, ['data'], platformEnvironmentSchema);
  }
  const environment = metadata.labels?.[ENVIRONMENT_LABEL];
  if (environment === undefined || environment === BASE_CONFIG || base === undefined) return undefined;
  const result = environmentConfigSchema.safeParse(mergePatch(base.data ?? {}, data));
  return result.success ? undefined : `merged over base: ${formatIssues(result.error.issues, ['data'], environmentConfigSchema)}`;
}

function findBase(sources: readonly ManifestSource[]): JsonObject | undefined {
  for (const { manifests } of sources) {
    for (const manifest of manifests) {
      const labels = ((manifest.metadata ?? {}) as { labels?: Record<string, string> }).labels;
      if (manifest.kind === 'EnvironmentConfig' && labels?.[ENVIRONMENT_LABEL] === BASE_CONFIG) return manifest;
    }
  }
  return undefined;
}

/** Validates every manifest of every source and reports each problem with its resource and field path. */
export function validateManifests(
  validator: SchemaValidator,
  sources: readonly ManifestSource[],
  options: { errorOnMissingSchemas: boolean },
): ValidationReport {
  const report: ValidationReport = { valid: 0, invalid: 0, missing: 0, failed: false, lines: [] };
  const base = findBase(sources);
  for (const { file, manifests } of sources) {
    for (const manifest of manifests) {
      if (RENDER_ONLY_GROUPS.some((group) => String(manifest.apiVersion).startsWith(group))) continue;
      const result = validator.validate(manifest);
      const dataIssues = result.status === 'valid' ? environmentConfigIssues(manifest, base) : undefined;
      if (dataIssues !== undefined) {
        report.invalid++;
        report.failed = true;
        report.lines.push(`[x] ${identify(manifest)} (${file}): ${dataIssues}`);
      } else if (result.status === 'valid') {
        report.valid++;
      } else if (result.status === 'no-schema') {
        report.missing++;
        report.lines.push(`${options.errorOnMissingSchemas ? '[x]' : '[!]'} ${identify(manifest)} (${file}): no schema for this kind`);
        if (options.errorOnMissingSchemas) report.failed = true;
      } else {
        report.invalid++;
        report.failed = true;
        for (const issue of result.issues) report.lines.push(`[x] ${identify(manifest)} (${file}): ${issue.path}: ${issue.message}`);
      }
    }
  }
  return report;
}

/** Problems in the EnvironmentConfigs' data among `sources`, one line each (the CRD itself accepts any data). */
export function environmentConfigReport(sources: readonly ManifestSource[]): string[] {
  const base = findBase(sources);
  const lines: string[] = [];
  for (const { file, manifests } of sources) {
    for (const manifest of manifests) {
      const issues = environmentConfigIssues(manifest, base);
      if (issues !== undefined) lines.push(`[x] ${identify(manifest)} (${file}): ${issues}`);
    }
  }
  return lines;
}
