import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { listFiles, parseManifests } from './schema-validator.js';
import { toYaml } from './generated.js';
import { writeTar, type TarEntry } from './tar.js';
import { REPO_ROOT } from './validation.js';
import { KINDS } from '../../functions/platform/src/kinds/index.js';
import { PACKAGE_REGISTRY, seriesOf } from '../../functions/platform/src/release.js';

type JsonObject = Record<string, unknown>;

/** The layer annotation (and config label prefix) Crossplane looks for. */
export const XPKG_ANNOTATION = 'io.crossplane.xpkg';
/** Its value on the layer that holds package.yaml. */
export const XPKG_BASE = 'base';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A built package: its OCI layout tarball and the parts tests and logs look at. */
export interface XpkgBuild {
  /** Image reference the package is tagged with, `<repository>:<tag>`. */
  reference: string;
  /** The OCI image-layout tarball (also loadable as a `docker save` archive). */
  tarball: Buffer;
  manifestDigest: string;
  /** package.yaml as it sits in the base layer. */
  packageYaml: string;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/**
 * package.yaml: the meta object first, then every other object, as one YAML
 * stream (each document starts with `---`).
 */
export function packageYamlStream(meta: JsonObject, objects: readonly JsonObject[]): string {
  return [meta, ...objects].map((object) => `---\n${toYaml(object)}`).join('');
}

/** Reads the one object of a crossplane.yaml. */
export function readMeta(path: string): JsonObject {
  const manifests = parseManifests(readFileSync(path, 'utf8'), path);
  const [meta] = manifests;
  if (manifests.length !== 1 || meta === undefined) throw new Error(`${path}: expected exactly one object, found ${manifests.length}`);
  return meta;
}

/**
 * The XRDs and Compositions under xrds/ and compositions/, in file order (XRDs
 * first); with `plurals`, only those kinds' files.
 */
export function configurationObjects(root = REPO_ROOT, plurals?: readonly string[]): JsonObject[] {
  return ['xrds', 'compositions'].flatMap((dir) =>
    listFiles(join(root, dir), ['.yaml', '.yml'])
      .filter((file) => plurals === undefined || plurals.some((plural) => basename(file) === `${plural}.yaml`))
      .flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file)),
  );
}

/**
 * Builds an xpkg as an OCI image layout in a tar archive: one layer, holding
 * package.yaml, whose descriptor carries `io.crossplane.xpkg: base` (what
 * Crossplane reads); the config repeats it as the label
 * `io.crossplane.xpkg:<layer digest>` as `crossplane xpkg build` does, for
 * formats that drop layer annotations. A `manifest.json` makes the same tar a
 * `docker save` archive too, so `docker load` and `crossplane xpkg push -f` accept it.
 * Output is byte-for-byte reproducible.
 */
export function buildXpkg(options: { reference: string; packageYaml: string; annotations?: Record<string, string> }): XpkgBuild {
  const { reference, packageYaml } = options;
  const tagAt = reference.lastIndexOf(':');
  if (tagAt <= reference.lastIndexOf('/')) throw new Error(`cannot build ${reference}: the reference needs a tag`);
  const tag = reference.slice(tagAt + 1);

  const layerTar = writeTar([{ name: 'package.yaml', data: Buffer.from(packageYaml, 'utf8') }]);
  const layer = gzipSync(layerTar, { level: 9 });
  const layerDescriptor: Descriptor = {
    mediaType: MEDIA_TYPES.layer,
    digest: sha256(layer),
    size: layer.length,
    annotations: { [XPKG_ANNOTATION]: XPKG_BASE },
  };

  const config = json({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { [`${XPKG_ANNOTATION}:${layerDescriptor.digest}`]: XPKG_BASE } },
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    history: [{ created_by: 'npm run package', comment: 'package.yaml' }],
  });
  const configDescriptor: Descriptor = { mediaType: MEDIA_TYPES.config, digest: sha256(config), size: config.length };

  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: configDescriptor,
    layers: [layerDescriptor],
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
  });
  const manifestDescriptor: Descriptor = {
    mediaType: MEDIA_TYPES.manifest,
    digest: sha256(manifest),
    size: manifest.length,
    annotations: { 'io.containerd.image.name': reference, 'org.opencontainers.image.ref.name': tag },
  };
  const index = json({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [manifestDescriptor] });
  const blobPath = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`;
  const dockerManifest = json([{ Config: blobPath(configDescriptor.digest), RepoTags: [reference], Layers: [blobPath(layerDescriptor.digest)] }]);

  const entries: TarEntry[] = [
    { name: 'blobs/' },
    { name: 'blobs/sha256/' },
    ...[
      { digest: configDescriptor.digest, data: config },
      { digest: layerDescriptor.digest, data: layer },
      { digest: manifestDescriptor.digest, data: manifest },
    ]
      .sort((a, b) => a.digest.localeCompare(b.digest))
      .map(({ digest, data }) => ({ name: blobPath(digest), data })),
    { name: 'index.json', data: index },
    { name: 'manifest.json', data: dockerManifest },
    { name: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
  ];
  return { reference, tarball: writeTar(entries), manifestDigest: manifestDescriptor.digest, packageYaml };
}

/** Where packages go and what they are called. */
export interface PackageOptions {
  /** Registry and path the packages are pushed under. */
  repositoryPrefix: string;
  /** Tag, such as v0.1.0. */
  version: string;
  root?: string;
}

/** Registry path of every package (the Function's matches the Configurations' dependsOn). */
export const DEFAULT_REPOSITORY_PREFIX = PACKAGE_REGISTRY;

/** The version in package.json, as a tag. */
export function packageVersion(root = REPO_ROOT): string {
  return `v${(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version}`;
}

/**
 * The Configuration packages this repository ships, and the kinds each holds.
 * The kinds are split by cluster: the platform cluster composes Hubs and
 * Environments (AWS, Helm, Kubernetes providers); each environment cluster
 * composes the project kinds (provider-sql, Kubernetes kinds) and installs
 * only that package (docs/packaging.md).
 */
export const CONFIGURATIONS: ReadonlyArray<{ meta: string; repository: string; kinds: readonly string[] }> = [
  { meta: 'crossplane.yaml', repository: 'platform', kinds: ['Environment', 'Hub'] },
  { meta: 'package/environment-cluster/crossplane.yaml', repository: 'platform-environment-cluster', kinds: ['Network', 'Storage', 'Database'] },
];

export type ConfigurationPackage = (typeof CONFIGURATIONS)[number];

/** The repository a package is pushed to: the function's carries its release series. */
export function functionRepository(version: string): string {
  return `function-platform-${seriesOf(version)}`;
}

function ociAnnotations(meta: JsonObject, version: string): Record<string, string> {
  const annotations = ((meta.metadata as JsonObject | undefined)?.annotations ?? {}) as Record<string, string>;
  const out: Record<string, string> = { 'org.opencontainers.image.title': String((meta.metadata as JsonObject).name), 'org.opencontainers.image.version': version };
  if (annotations['meta.crossplane.io/source'] !== undefined) out['org.opencontainers.image.source'] = `https://${annotations['meta.crossplane.io/source']}`;
  if (annotations['meta.crossplane.io/license'] !== undefined) out['org.opencontainers.image.licenses'] = annotations['meta.crossplane.io/license'];
  return out;
}

/**
 * A Configuration package: its crossplane.yaml, then the XRDs and Compositions
 * of its kinds. Named `<prefix>/<repository>:<version>`.
 */
export function buildConfigurationPackage(options: PackageOptions, configuration: ConfigurationPackage = CONFIGURATIONS[0] as ConfigurationPackage): XpkgBuild {
  const root = options.root ?? REPO_ROOT;
  const meta = readMeta(join(root, configuration.meta));
  const plurals = configuration.kinds.map((kind) => {
    const definition = KINDS.find((k) => k.kind === kind);
    if (definition === undefined) throw new Error(`cannot package ${configuration.meta}: no kind ${kind} is registered`);
    return definition.plural;
  });
  return buildXpkg({
    reference: `${options.repositoryPrefix}/${configuration.repository}:${options.version}`,
    packageYaml: packageYamlStream(meta, configurationObjects(root, plurals)),
    annotations: ociAnnotations(meta, options.version),
  });
}

/**
 * The Function package without its runtime: package/function/crossplane.yaml only,
 * pushed to the repository of its release series. The runtime image
 * (Dockerfile) is added by `crossplane xpkg build --embed-runtime-image`,
 * which needs Docker and the base image; see docs/packaging.md.
 */
export function buildFunctionPackage(options: PackageOptions): XpkgBuild {
  const root = options.root ?? REPO_ROOT;
  const meta = readMeta(join(root, 'package', 'function', 'crossplane.yaml'));
  return buildXpkg({
    reference: `${options.repositoryPrefix}/${functionRepository(options.version)}:${options.version}`,
    packageYaml: packageYamlStream(meta, []),
    annotations: ociAnnotations(meta, options.version),
  });
}
