/**
 * Builds the Crossplane packages as OCI image-layout tarballs, without Docker:
 *
 *   npm run package                       # dist/packages/*.xpkg
 *   npm run package -- --out DIR --version v0.2.0 --registry ghcr.io/acme/forge
 *
 * - platform-<version>.xpkg: the platform Configuration (crossplane.yaml; Hub and
 *   Environment XRDs and Compositions).
 * - platform-environment-cluster-<version>.xpkg: the Configuration environment
 *   clusters install (package/environment-cluster/crossplane.yaml; Network,
 *   Storage, Database).
 * - function-platform-<series>-<version>.meta-only.xpkg: the Function's
 *   package.yaml layer without the runtime image; `crossplane xpkg build
 *   --embed-runtime-image` makes the real one (docs/packaging.md).
 *
 * Refuses to package when xrds/ or compositions/ are stale, or when a meta
 * object does not validate against the Crossplane schemas.
 *
 *   npm run package -- --update-dependencies   # rewrite each Configuration's dependsOn:
 *                                              # this release's function, and the providers
 *                                              # its kinds' examples render
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseCommand } from './lib/cli.js';
import { exampleInventory, providerDependencies, withDependencies } from './lib/dependencies.js';
import { FUNCTION_PACKAGE, RELEASE_VERSION } from '../functions/platform/src/release.js';
import { generatedFiles } from './lib/generated.js';
import { REPO_ROOT, defaultValidator, validateManifests } from './lib/validation.js';
import {
  CONFIGURATIONS,
  DEFAULT_REPOSITORY_PREFIX,
  buildConfigurationPackage,
  functionRepository,
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
  const inventory = await exampleInventory();
  for (const configuration of CONFIGURATIONS) {
    const path = join(REPO_ROOT, configuration.meta);
    const providers = providerDependencies(inventory, configuration.kinds);
    writeFileSync(path, withDependencies(readFileSync(path, 'utf8'), { package: FUNCTION_PACKAGE, version: RELEASE_VERSION }, providers));
    process.stdout.write(`${configuration.meta}: function ${FUNCTION_PACKAGE}:${RELEASE_VERSION}, providers ${providers.map((p) => p.package.split('/').at(-1)).join(', ') || 'none'}\n`);
  }
}

const USAGE = `Usage: npm run package [-- flags]

Builds the Crossplane packages as OCI image-layout tarballs, without Docker: the
platform Configuration, the environment-cluster Configuration and the Function's
meta-only package. Refuses when xrds/ or compositions/ are stale.

Flags:
  --out <dir>              Where to write the .xpkg files. Default dist/packages.
  --version <vX.Y.Z>       Package tag. Default v + package.json's version.
  --registry <prefix>      Repository prefix. Default ${DEFAULT_REPOSITORY_PREFIX}.
  --update-dependencies    First rewrite each Configuration's dependsOn (this
                           release's function, the providers its examples render).
  -h, --help               Show this help.
`;

async function main(): Promise<number> {
  const { values } = parseCommand({
    name: 'package',
    usage: USAGE,
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
  const metaFiles = [...CONFIGURATIONS.map((c) => c.meta), 'package/function/crossplane.yaml'];
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
    ...CONFIGURATIONS.map((configuration) => ({ file: `${configuration.repository}-${version}.xpkg`, build: buildConfigurationPackage(options, configuration) })),
    { file: `${functionRepository(version)}-${version}.meta-only.xpkg`, build: buildFunctionPackage(options) },
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
