import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaValidator } from './schema-validator.js';

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

/** Validates every manifest of every source and reports each problem with its resource and field path. */
export function validateManifests(
  validator: SchemaValidator,
  sources: readonly ManifestSource[],
  options: { errorOnMissingSchemas: boolean },
): ValidationReport {
  const report: ValidationReport = { valid: 0, invalid: 0, missing: 0, failed: false, lines: [] };
  for (const { file, manifests } of sources) {
    for (const manifest of manifests) {
      if (RENDER_ONLY_GROUPS.some((group) => String(manifest.apiVersion).startsWith(group))) continue;
      const result = validator.validate(manifest);
      if (result.status === 'valid') {
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
