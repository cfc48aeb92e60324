/**
 * Builds both Crossplane packages as OCI image-layout tarballs, without Docker:
 *
 *   npm run package                       # dist/packages/*.xpkg
 *   npm run package -- --out DIR --version v0.2.0 --registry ghcr.io/acme/forge
 *
 * - platform-<version>.xpkg: the Configuration (crossplane.yaml, XRDs, Compositions).
 * - function-platform-<version>.meta-only.xpkg: the Function's package.yaml layer
 *   without the runtime image; `crossplane xpkg build --embed-runtime-image` makes
 *   the real one (docs/packaging.md).
 *
 * Refuses to package when xrds/ or compositions/ are stale, or when a meta
 * object does not validate against the Crossplane schemas.
 *
 *   npm run package -- --update-dependencies   # rewrite crossplane.yaml's provider
 *                                              # dependsOn from what the examples render
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { exampleInventory, providerDependencies, withProviderDependencies } from './lib/dependencies.js';
import { generatedFiles } from './lib/generated.js';
import { REPO_ROOT, defaultValidator, validateManifests } from './lib/validation.js';
import {
  DEFAULT_REPOSITORY_PREFIX,
  buildConfigurationPackage,
  buildFunctionPackage,
  packageVersion,
  readMeta,
  type XpkgBuild,
} from './lib/xpkg.js';

function staleGeneratedFiles(): string[] {
  const stale: string[] = [];
  for (const [path, content] of generatedFiles()) {
    let current: string | undefined;
    try {
      current = readFileSync(join(REPO_ROOT, path), 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== content) stale.push(path);
  }
  return stale;
}

async function updateDependencies(): Promise<void> {
  const path = join(REPO_ROOT, 'crossplane.yaml');
  const providers = providerDependencies(await exampleInventory());
  writeFileSync(path, withProviderDependencies(readFileSync(path, 'utf8'), providers));
  process.stdout.write(`crossplane.yaml: providers ${providers.map((p) => p.package.split('/').at(-1)).join(', ') || 'none'}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'update-dependencies': { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO_ROOT, 'dist', 'packages') },
      version: { type: 'string' },
      registry: { type: 'string', default: DEFAULT_REPOSITORY_PREFIX },
    },
  });
  if (values['update-dependencies']) await updateDependencies();
  const stale = staleGeneratedFiles();
  if (stale.length > 0) {
    process.stderr.write(`package: stale generated files (run npm run generate): ${stale.join(', ')}\n`);
    return 1;
  }
  const metaFiles = ['crossplane.yaml', 'package/crossplane.yaml'];
  const report = validateManifests(
    defaultValidator(),
    metaFiles.map((file) => ({ file, manifests: [readMeta(join(REPO_ROOT, file))] })),
    { errorOnMissingSchemas: true },
  );
  if (report.failed) {
    for (const line of report.lines) process.stderr.write(`${line}\n`);
    return 1;
  }

  const version = values.version ?? packageVersion();
  const options = { repositoryPrefix: values.registry, version };
  const builds: Array<{ file: string; build: XpkgBuild }> = [
    { file: `platform-${version}.xpkg`, build: buildConfigurationPackage(options) },
    { file: `function-platform-${version}.meta-only.xpkg`, build: buildFunctionPackage(options) },
  ];
  mkdirSync(values.out, { recursive: true });
  for (const { file, build } of builds) {
    const path = join(values.out, file);
    writeFileSync(path, build.tarball);
    process.stdout.write(
      `wrote ${relative(process.cwd(), path)}: ${build.reference} ${build.manifestDigest}, ${build.tarball.length} bytes (package.yaml ${Buffer.byteLength(build.packageYaml)} bytes)\n`,
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`package: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
