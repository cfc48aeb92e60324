/**
 * The release this code is, and the package names that follow from it: the
 * one place the Compositions' functionRef, the Configurations' dependsOn, the
 * package builder and the Environment's in-cluster Configuration take them
 * from. docs/upgrades.md says why the function is published per release series.
 */
import manifest from '../../../package.json' with { type: 'json' };

/** Registry and path every package of this repository is pushed under. */
export const PACKAGE_REGISTRY = 'ghcr.io/input-output-hk/catalyst-forge';

/** `v` + package.json's version: the tag of every package of this release. */
export const RELEASE_VERSION = `v${manifest.version}`;

/**
 * The release series, major.minor as a DNS-label fragment (0.1.3 -> `v0-1`).
 * A new series is a new function package, so Compositions of an older series
 * keep calling the function they were released with.
 */
export const RELEASE_SERIES = seriesOf(manifest.version);

export function seriesOf(version: string): string {
  const match = /^v?(\d+)\.(\d+)\.\d+(?:[-+].*)?$/.exec(version);
  if (match === null) throw new Error(`cannot derive a release series from version "${version}": expected MAJOR.MINOR.PATCH`);
  return `v${match[1] ?? ''}-${match[2] ?? ''}`;
}

/** The function package of this series, without a tag. */
export const FUNCTION_PACKAGE = `${PACKAGE_REGISTRY}/function-platform-${RELEASE_SERIES}`;

/**
 * What Crossplane's dependency resolver names a package it installs: the
 * repository path without the registry host, '/' and '.' turned into '-', cut
 * at 63 characters (crossplane-runtime pkg/xpkg ToDNSLabel, used by the
 * resolver's NewPackage).
 */
export function dependencyObjectName(packageWithoutTag: string): string {
  const slash = packageWithoutTag.indexOf('/');
  const host = slash === -1 ? '' : packageWithoutTag.slice(0, slash);
  // A first segment without '.', ':' or "localhost" is a Docker Hub path, not a host.
  const repository = slash !== -1 && (host.includes('.') || host.includes(':') || host === 'localhost') ? packageWithoutTag.slice(slash + 1) : packageWithoutTag;
  let out = '';
  for (let i = 0; i < repository.length && i <= 62; i++) {
    const c = repository[i] ?? '';
    if (/[a-z0-9]/.test(c)) out += c;
    if ('./:-'.includes(c) && i !== 0 && i !== 62 && i !== repository.length - 1) out += '-';
  }
  return out.replace(/^-+|-+$/g, '');
}

/**
 * Name of the Function object every Composition calls: the one installing a
 * Configuration of this series creates through its dependsOn.
 */
export const FUNCTION_NAME = dependencyObjectName(FUNCTION_PACKAGE);

/** The platform Configuration (Hub, Environment) and its tag. */
export const PLATFORM_PACKAGE = `${PACKAGE_REGISTRY}/platform:${RELEASE_VERSION}`;

/** The environment-cluster Configuration (Network, Storage, Database) an Environment installs in its cluster. */
export const ENVIRONMENT_CLUSTER_PACKAGE = `${PACKAGE_REGISTRY}/platform-environment-cluster:${RELEASE_VERSION}`;
