import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../functions/platform/src/kinds/index.js';
import { API_GROUP } from '../functions/platform/src/composite.js';
import { compositionName } from '../scripts/lib/xrd.js';
import { exampleInventory, providerDependencies, withDependencies, type ExampleInventory, type ProviderDependency } from '../scripts/lib/dependencies.js';
import { FUNCTION_NAME, FUNCTION_PACKAGE, RELEASE_VERSION, dependencyObjectName, seriesOf } from '../functions/platform/src/release.js';
import { generatedFiles } from '../scripts/lib/generated.js';
import { listFiles, parseManifests } from '../scripts/lib/schema-validator.js';
import { readTar, type TarEntry } from '../scripts/lib/tar.js';
import { REPO_ROOT, defaultValidator, validateManifests } from '../scripts/lib/validation.js';
import {
  CONFIGURATIONS,
  MEDIA_TYPES,
  XPKG_ANNOTATION,
  XPKG_BASE,
  buildConfigurationPackage,
  buildFunctionPackage,
  packageVersion,
  readMeta,
  type Descriptor,
  type XpkgBuild,
} from '../scripts/lib/xpkg.js';

type JsonObject = Record<string, unknown>;

const options = { repositoryPrefix: 'registry.example/forge', version: 'v9.9.9' };

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An xpkg read back the way a registry client would: index -> manifest -> config and layer. */
interface OpenedXpkg {
  files: Map<string, Buffer>;
  index: { schemaVersion: number; mediaType: string; manifests: Descriptor[] };
  manifest: { schemaVersion: number; mediaType: string; config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> };
  config: { architecture: string; os: string; config: { Labels: Record<string, string> }; rootfs: { type: string; diff_ids: string[] } };
  layerTar: Buffer;
  layerEntries: TarEntry[];
  stream: JsonObject[];
}

function blob(files: Map<string, Buffer>, descriptor: Descriptor): Buffer {
  const data = files.get(`blobs/sha256/${descriptor.digest.slice('sha256:'.length)}`);
  if (data === undefined) throw new Error(`blob ${descriptor.digest} missing`);
  expect(sha256(data)).toBe(descriptor.digest);
  expect(data.length).toBe(descriptor.size);
  return data;
}

function open(build: XpkgBuild): OpenedXpkg {
  const files = new Map<string, Buffer>();
  for (const entry of readTar(build.tarball)) if (entry.data !== undefined) files.set(entry.name, entry.data);
  const read = (name: string): unknown => JSON.parse((files.get(name) ?? Buffer.from('null')).toString('utf8'));
  const index = read('index.json') as OpenedXpkg['index'];
  const [descriptor] = index.manifests;
  if (descriptor === undefined) throw new Error('index has no manifest');
  const manifest = JSON.parse(blob(files, descriptor).toString('utf8')) as OpenedXpkg['manifest'];
  const config = JSON.parse(blob(files, manifest.config).toString('utf8')) as OpenedXpkg['config'];
  const [layer] = manifest.layers;
  if (layer === undefined) throw new Error('manifest has no layer');
  const layerTar = gunzipSync(blob(files, layer));
  const layerEntries = readTar(layerTar);
  const packageYaml = layerEntries.find((e) => e.name === 'package.yaml')?.data?.toString('utf8') ?? '';
  const docs = parseAllDocuments(packageYaml);
  for (const doc of docs) expect(doc.errors).toEqual([]);
  return { files, index, manifest, config, layerTar, layerEntries, stream: docs.map((d) => d.toJS() as JsonObject) };
}

/** The examples rendered to their fully created state, once for every describe block. */
let inventoryOnce: Promise<ExampleInventory> | undefined;
function inventory(): Promise<ExampleInventory> {
  inventoryOnce ??= exampleInventory();
  return inventoryOnce;
}

function identity(object: JsonObject): string {
  return `${String(object.apiVersion)} ${String(object.kind)} ${String((object.metadata as JsonObject).name)}`;
}

/** Structure every xpkg must have, whatever it holds. */
function expectXpkgStructure(pkg: OpenedXpkg, reference: string): void {
  expect(JSON.parse(pkg.files.get('oci-layout')?.toString('utf8') ?? '{}')).toEqual({ imageLayoutVersion: '1.0.0' });
  expect(pkg.index.schemaVersion).toBe(2);
  expect(pkg.index.mediaType).toBe(MEDIA_TYPES.index);
  expect(pkg.index.manifests).toHaveLength(1);
  expect(pkg.index.manifests[0]?.annotations).toEqual({ 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': reference.split(':').at(-1) });
  expect(pkg.manifest.mediaType).toBe(MEDIA_TYPES.manifest);
  expect(pkg.manifest.config.mediaType).toBe(MEDIA_TYPES.config);
  // Exactly one layer, annotated as the xpkg base layer, holding package.yaml and nothing else.
  expect(pkg.manifest.layers.map((l) => [l.mediaType, l.annotations])).toEqual([[MEDIA_TYPES.layer, { [XPKG_ANNOTATION]: XPKG_BASE }]]);
  expect(pkg.layerEntries.map((e) => e.name)).toEqual(['package.yaml']);
  // The config names the same layer: its uncompressed digest, and the label crossplane xpkg build writes.
  const layer = pkg.manifest.layers[0] as Descriptor;
  expect(pkg.config.rootfs).toEqual({ type: 'layers', diff_ids: [sha256(pkg.layerTar)] });
  expect(pkg.config.config.Labels).toEqual({ [`${XPKG_ANNOTATION}:${layer.digest}`]: XPKG_BASE });
  expect([pkg.config.os, pkg.config.architecture]).toEqual(['linux', 'amd64']);
  // docker save compatibility: manifest.json points at the same blobs.
  const docker = JSON.parse(pkg.files.get('manifest.json')?.toString('utf8') ?? '[]') as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  expect(docker).toEqual([{ Config: `blobs/sha256/${pkg.manifest.config.digest.slice(7)}`, RepoTags: [reference], Layers: [`blobs/sha256/${layer.digest.slice(7)}`] }]);
  // No stray files: three blobs and the layout files.
  expect([...pkg.files.keys()].filter((name) => name.startsWith('blobs/')).length).toBe(3);
}

const TITLES: Record<string, string> = { platform: 'catalyst-forge-platform', 'platform-environment-cluster': 'catalyst-forge-platform-environment-cluster' };

describe.each(CONFIGURATIONS.map((configuration) => ({ configuration, name: configuration.repository })))('Configuration package $name', ({ configuration }) => {
  let build: XpkgBuild;
  let pkg: OpenedXpkg;
  const kinds = KINDS.filter((k) => configuration.kinds.includes(k.kind));
  beforeAll(() => {
    build = buildConfigurationPackage(options, configuration);
    pkg = open(build);
  });

  it('is an OCI image layout with one annotated package.yaml layer', () => {
    expect(build.reference).toBe(`registry.example/forge/${configuration.repository}:v9.9.9`);
    expectXpkgStructure(pkg, build.reference);
    expect(pkg.manifest.annotations).toMatchObject({ 'org.opencontainers.image.title': TITLES[configuration.repository], 'org.opencontainers.image.version': 'v9.9.9' });
  });

  it("holds its Configuration meta first, then exactly one XRD and one Composition per kind of its own", () => {
    const [meta, ...rest] = pkg.stream;
    expect(meta).toEqual(readMeta(join(REPO_ROOT, configuration.meta)));
    const expected = [
      ...kinds.map((k) => `apiextensions.crossplane.io/v2 CompositeResourceDefinition ${k.plural}.${API_GROUP}`).sort(),
      ...kinds.map((k) => `apiextensions.crossplane.io/v1 Composition ${compositionName(k)}`).sort(),
    ];
    expect(rest.map(identity)).toEqual(expected);
  });

  it('ships its XRDs and Compositions exactly as generated from the kinds', () => {
    const generated = [...generatedFiles().entries()]
      .filter(([path]) => kinds.some((k) => path === `xrds/${k.plural}.yaml` || path === `compositions/${k.plural}.yaml`))
      .sort(([a], [b]) => (a.startsWith('xrds/') === b.startsWith('xrds/') ? a.localeCompare(b) : a.startsWith('xrds/') ? -1 : 1))
      .flatMap(([path, content]) => parseManifests(content, path));
    expect(pkg.stream.slice(1)).toEqual(generated);
  });

  it('holds only objects that validate against the Crossplane schemas', () => {
    const report = validateManifests(defaultValidator(), [{ file: 'package.yaml', manifests: pkg.stream }], { errorOnMissingSchemas: true });
    expect(report.lines).toEqual([]);
    expect(pkg.stream.filter((o) => o.apiVersion === 'meta.pkg.crossplane.io/v1').map((o) => o.kind)).toEqual(['Configuration']);
  });

  it('is reproducible: the same input gives the same bytes', () => {
    expect(buildConfigurationPackage(options, configuration).tarball.equals(build.tarball)).toBe(true);
  });
});

describe('the Configurations split the kinds', () => {
  it('every kind ships in exactly one Configuration, so no cluster installs two packages owning one XRD', () => {
    const owners = KINDS.map((k) => ({ kind: k.kind, in: CONFIGURATIONS.filter((c) => c.kinds.includes(k.kind)).map((c) => c.repository) }));
    expect(owners.filter((o) => o.in.length !== 1)).toEqual([]);
  });
});

describe('Function package (package.yaml layer; the runtime is embedded by crossplane xpkg build)', () => {
  it('holds exactly the Function meta object with the composition capability, under its release series', () => {
    const build = buildFunctionPackage(options);
    const pkg = open(build);
    expect(build.reference).toBe('registry.example/forge/function-platform-v9-9:v9.9.9');
    expectXpkgStructure(pkg, build.reference);
    expect(pkg.stream).toEqual([readMeta(join(REPO_ROOT, 'package/function/crossplane.yaml'))]);
    expect(pkg.stream[0]).toMatchObject({ apiVersion: 'meta.pkg.crossplane.io/v1', kind: 'Function', metadata: { name: 'function-platform' }, spec: { capabilities: ['composition'] } });
  });

  it('package/function holds only the Function meta (crossplane xpkg build --package-root reads every YAML under it)', () => {
    expect(readdirSync(join(REPO_ROOT, 'package/function'))).toEqual(['crossplane.yaml']);
  });
});

describe('function name and release series (the name a Composition calls is the one installing the Configuration creates)', () => {
  const cases: Array<{ reason: string; version: string; series?: string; error?: RegExp }> = [
    { reason: 'a patch release stays in its series', version: '0.1.7', series: 'v0-1' },
    { reason: 'a tag with v and a pre-release suffix', version: 'v1.12.0-rc.1', series: 'v1-12' },
    { reason: 'no patch number: refused, naming the version', version: '1.2', error: /cannot derive a release series from version "1\.2"/ },
  ];
  for (const c of cases) {
    it(c.reason, () => {
      if (c.error !== undefined) expect(() => seriesOf(c.version)).toThrow(c.error);
      else expect(seriesOf(c.version)).toBe(c.series);
    });
  }

  it("is Crossplane's dependency name for the function package: repository path without registry, '/' as '-'", () => {
    // crossplane-runtime pkg/xpkg ToDNSLabel(ref.Context().RepositoryStr()), as the resolver names what it installs.
    expect(dependencyObjectName('ghcr.io/input-output-hk/catalyst-forge/function-platform')).toBe('input-output-hk-catalyst-forge-function-platform');
    expect(dependencyObjectName('xpkg.crossplane.io/crossplane-contrib/provider-sql')).toBe('crossplane-contrib-provider-sql');
    expect(dependencyObjectName(`registry.example/${'a'.repeat(70)}`)).toHaveLength(63);
    expect(FUNCTION_NAME).toBe(`input-output-hk-catalyst-forge-function-platform-${seriesOf(packageVersion())}`);
    expect(FUNCTION_NAME).toBe(dependencyObjectName(FUNCTION_PACKAGE));
  });

  it('every Composition calls that name, and nothing else', () => {
    const refs = listFiles(join(REPO_ROOT, 'compositions'), ['.yaml'])
      .flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file))
      .flatMap((c) => ((c.spec as { pipeline: Array<{ functionRef: { name: string } }> }).pipeline ?? []).map((step) => step.functionRef.name));
    expect(refs.length).toBe(KINDS.length);
    expect(new Set(refs)).toEqual(new Set([FUNCTION_NAME]));
  });

  it("the Functions in examples/ carry that name and this release's package (crossplane render and a hand install find it)", () => {
    for (const file of ['examples/functions.yaml', 'examples/deployment/function.yaml']) {
      const [fn] = parseManifests(readFileSync(join(REPO_ROOT, file), 'utf8'), file);
      expect({ file, name: (fn?.metadata as JsonObject).name, package: (fn?.spec as JsonObject).package }).toEqual({ file, name: FUNCTION_NAME, package: `${FUNCTION_PACKAGE}:${packageVersion()}` });
    }
  });
});

describe('npm run package', () => {
  it('writes every package and refuses nothing on a clean tree', () => {
    const out = mkdtempSync(join(tmpdir(), 'xpkg-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/package.ts'), '--out', out, '--version', 'v9.9.9'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(readdirSync(out).sort()).toEqual(['function-platform-v9-9-v9.9.9.meta-only.xpkg', 'platform-environment-cluster-v9.9.9.xpkg', 'platform-v9.9.9.xpkg']);
      const real = { ...options, repositoryPrefix: 'ghcr.io/input-output-hk/catalyst-forge' };
      expect(readFileSync(join(out, 'function-platform-v9-9-v9.9.9.meta-only.xpkg')).equals(buildFunctionPackage(real).tarball)).toBe(true);
      for (const configuration of CONFIGURATIONS) {
        expect(readFileSync(join(out, `${configuration.repository}-v9.9.9.xpkg`)).equals(buildConfigurationPackage(real, configuration).tarball), configuration.meta).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe.each(CONFIGURATIONS.map((configuration) => ({ configuration, name: configuration.meta })))('$name', ({ configuration }) => {
  const meta = readMeta(join(REPO_ROOT, configuration.meta)) as { spec: { crossplane?: { version?: string }; dependsOn?: Array<Record<string, string>> } };
  const dependsOn = meta.spec.dependsOn ?? [];
  let needed: ProviderDependency[];
  beforeAll(async () => {
    needed = providerDependencies(await inventory(), configuration.kinds);
  });

  it('constrains the Crossplane version to v2', () => {
    expect(meta.spec.crossplane?.version).toMatch(/^>=v2\.\d+\.\d+/);
  });

  it('names every dependency fully: apiVersion, kind, registry host, version constraint', () => {
    for (const dependency of dependsOn) {
      expect(Object.keys(dependency).sort(), JSON.stringify(dependency)).toEqual(['apiVersion', 'kind', 'package', 'version']);
      expect(dependency.apiVersion).toBe('pkg.crossplane.io/v1');
      expect(['Provider', 'Function', 'Configuration']).toContain(dependency.kind);
      expect(dependency.package, 'a registry host with a dot, no tag').toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+\/[a-z0-9./_-]+$/);
      // The function is pinned exactly (a floating constraint would carry every release to pinned XRs); providers float.
      expect(dependency.version).toMatch(dependency.kind === 'Function' ? /^v\d+\.\d+\.\d+$/ : /^>=v\d+\.\d+\.\d+$/);
    }
  });

  it("depends on this release series' function package, pinned exactly to this release", () => {
    expect(dependsOn.filter((d) => d.kind === 'Function')).toEqual([{ apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', package: FUNCTION_PACKAGE, version: RELEASE_VERSION }]);
    expect(RELEASE_VERSION).toBe(packageVersion());
  });

  it('--update-dependencies sets the function and exactly the given providers, keeping comments', () => {
    const text = readFileSync(join(REPO_ROOT, configuration.meta), 'utf8');
    const fn = { package: FUNCTION_PACKAGE, version: RELEASE_VERSION };
    const updated = withDependencies(text, fn, [{ package: 'xpkg.example/p/provider-x', version: '>=v1.0.0', neededFor: [] }]);
    expect(updated.split('\n').filter((l) => l.startsWith('#'))).toEqual(text.split('\n').filter((l) => l.startsWith('#')));
    const [updatedMeta] = parseManifests(updated, configuration.meta);
    expect((updatedMeta?.spec as { dependsOn: unknown[] }).dependsOn).toEqual([
      { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', ...fn },
      { apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', package: 'xpkg.example/p/provider-x', version: '>=v1.0.0' },
    ]);
    // Applied to what its kinds' examples need, it is what is committed.
    expect(withDependencies(text, fn, needed)).toBe(text);
  });

  it("depends on exactly the providers whose resources its kinds' examples render (fix: npm run package -- --update-dependencies)", () => {
    const declared = dependsOn.filter((d) => d.kind === 'Provider').map((d) => d.package).sort();
    const missing = needed.filter((n) => !declared.includes(n.package)).map((n) => `${n.package} (for ${n.neededFor.join(', ')})`);
    const unused = declared.filter((p) => !needed.some((n) => n.package === p));
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
    for (const dependency of needed) {
      expect(dependsOn.find((d) => d.package === dependency.package)?.version, dependency.package).toBe(dependency.version);
    }
  });
});

describe('package/environment-cluster/crossplane.yaml', () => {
  it('brings no AWS, Helm or Kubernetes provider: environment clusters compose none of their kinds', async () => {
    const packages = providerDependencies(await inventory(), CONFIGURATIONS[1]?.kinds).map((d) => d.package.split('/').at(-1));
    expect(packages).toEqual(['provider-sql']);
  });
});
