/**
 * Validates manifests against the real API schemas, like `crossplane beta
 * validate`: upstream CRDs and Kubernetes OpenAPI documents from schemas/,
 * and this package's XRDs (xrds/) for its XRs.
 *
 *   npm run validate                       # everything in the repository
 *   npm run validate -- out.yaml examples/ # given files or directories
 *   npm run render -- ... | npm run validate -- -
 *
 * Flags: --error-on-missing-schemas (a kind without a schema fails),
 *        --schemas DIR (extra CRD directory; repeatable).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, defaultValidator, validateManifests, type ManifestSource } from './lib/validation.js';
import { listFiles, parseManifests } from './lib/schema-validator.js';

/** What `npm run validate` checks with no arguments. */
const DEFAULT_PATHS = ['xrds', 'compositions', 'environment-configs', 'examples', 'crossplane.yaml', 'package'];

function readSources(paths: readonly string[]): ManifestSource[] {
  const sources: ManifestSource[] = [];
  for (const path of paths) {
    if (path === '-') {
      sources.push({ file: '<stdin>', manifests: parseManifests(readFileSync(0, 'utf8'), '<stdin>') });
      continue;
    }
    if (!existsSync(path)) throw new Error(`cannot read ${path}: no such file or directory`);
    const files = statSync(path).isDirectory() ? listFiles(path, ['.yaml', '.yml']) : [path];
    for (const file of files) sources.push({ file: relative(process.cwd(), file) || file, manifests: parseManifests(readFileSync(file, 'utf8'), file) });
  }
  return sources;
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'error-on-missing-schemas': { type: 'boolean', default: false },
      schemas: { type: 'string', multiple: true, default: [] },
    },
  });
  const paths = positionals.length > 0 ? positionals : DEFAULT_PATHS.map((p) => relative(process.cwd(), `${REPO_ROOT}/${p}`)).filter((p) => existsSync(p));
  const validator = defaultValidator(values.schemas);
  const report = validateManifests(validator, readSources(paths), { errorOnMissingSchemas: values['error-on-missing-schemas'] });
  for (const line of report.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(`${report.valid} valid, ${report.invalid} invalid, ${report.missing} without schema\n`);
  return report.failed ? 1 : 0;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`validate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
