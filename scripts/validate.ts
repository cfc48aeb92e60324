/**
 * Validates manifests with the real `crossplane resource validate` (built by
 * scripts/crossplane-tools/build.sh when missing), offline, against the
 * upstream CRDs in schemas/ and this package's XRDs (CEL rules included); then
 * checks EnvironmentConfig data with the function's own schemas, which the
 * EnvironmentConfig CRD leaves open.
 *
 *   npm run validate                       # everything in the repository
 *   npm run validate -- out.yaml examples/ # given files or directories
 *   npm run render -- ... | npm run validate -- -
 *
 * Flags: --error-on-missing-schemas (a kind without a schema fails),
 *        --schemas DIR (extra CRD directory; repeatable).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, environmentConfigReport, type ManifestSource } from './lib/validation.js';
import { ensureTools, resourceValidate, scratchDir, validationExtensions } from './lib/crossplane-cli.js';
import { toYaml } from './lib/generated.js';
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
  const sources = readSources(paths);
  ensureTools();
  const scratch = scratchDir('validate-');
  try {
    const resources = join(scratch.path, 'resources.yaml');
    writeFileSync(resources, sources.flatMap(({ manifests }) => manifests.map((m) => `---\n${toYaml(m)}`)).join(''));
    const real = resourceValidate(validationExtensions(scratch.path, values.schemas), resources, { errorOnMissingSchemas: values['error-on-missing-schemas'] });
    process.stdout.write(real.output);
    const data = environmentConfigReport(sources);
    for (const line of data) process.stdout.write(`${line}\n`);
    return real.status !== 0 || data.length > 0 ? 1 : 0;
  } finally {
    scratch.dispose();
  }
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`validate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
