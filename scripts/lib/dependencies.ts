import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parseDocument } from 'yaml';
import { exampleRenders, type ExampleRender } from './examples.js';
import { composeInProcess, desiredManifests } from './in-process.js';
import { computedFor } from './providers.js';
import { settle } from './settle.js';
import { listFiles } from './schema-validator.js';
import { REPO_ROOT } from './validation.js';
import { API_GROUP } from '../../functions/platform/src/composite.js';

type JsonObject = Record<string, unknown>;

/** Who provides an API group a Composition renders into. */
export type GroupSource =
  /** Kubernetes itself, or Crossplane core: nothing to install. */
  | { type: 'builtin' }
  /** This package's own XRs (a kind that composes another). */
  | { type: 'platform' }
  /** A Crossplane provider: the Configuration must depend on it. */
  | { type: 'provider'; package: string; version: string }
  /** CRDs of a cluster add-on (a Helm chart the Environment installs), not a Crossplane package. */
  | { type: 'addon'; addon: string };

/**
 * Built-in groups: core Kubernetes and Crossplane's own (Usages, EnvironmentConfigs).
 * Anything not here, not a provider and not an add-on is unknown, and unknown is
 * an error: a new group has to be placed on purpose.
 */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'apiextensions.crossplane.io',
  'protection.crossplane.io',
]);

/**
 * Provider packages by API group (the versions are the ones schemas/ was taken
 * from). Upjet AWS is one provider per service family: `<service>.aws.m.upbound.io`
 * maps to `provider-aws-<service>`; the family provider that owns the
 * ProviderConfig (`aws.m.upbound.io`) is installed by each of them as a dependency.
 */
const CONTRIB = 'xpkg.crossplane.io/crossplane-contrib';
const PROVIDERS: ReadonlyArray<{ group: RegExp; package: (match: RegExpExecArray) => string; version: string }> = [
  { group: /^aws\.m\.upbound\.io$/, package: () => `${CONTRIB}/provider-family-aws`, version: '>=v2.6.0' },
  { group: /^([a-z0-9]+)\.aws\.m\.upbound\.io$/, package: (m) => `${CONTRIB}/provider-aws-${m[1] ?? ''}`, version: '>=v2.6.0' },
  { group: /^helm\.m\.crossplane\.io$/, package: () => `${CONTRIB}/provider-helm`, version: '>=v1.4.0' },
  { group: /^kubernetes\.m\.crossplane\.io$/, package: () => `${CONTRIB}/provider-kubernetes`, version: '>=v1.2.1' },
  { group: /^postgresql\.sql\.m\.crossplane\.io$/, package: () => `${CONTRIB}/provider-sql`, version: '>=v0.16.0' },
];

/** CRD groups that come with cluster add-ons, by the add-on that installs them. */
const ADDON_GROUPS: Readonly<Record<string, string>> = {
  'gateway.networking.k8s.io': 'Gateway API (Envoy Gateway chart)',
  'gateway.envoyproxy.io': 'Envoy Gateway',
  'security.istio.io': 'Istio (base chart)',
  'telemetry.istio.io': 'Istio (base chart)',
  'networking.istio.io': 'Istio (base chart)',
  'external-secrets.io': 'External Secrets Operator',
  'generators.external-secrets.io': 'External Secrets Operator',
  'cert-manager.io': 'cert-manager',
  'karpenter.sh': 'Karpenter',
  'karpenter.k8s.aws': 'Karpenter',
  'keda.sh': 'KEDA',
  'kyverno.io': 'Kyverno',
  'velero.io': 'Velero',
  'snapshot.storage.k8s.io': 'CSI snapshot controller',
};

/** The API group of an apiVersion (`""` for the core group). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Where an API group comes from; throws for a group nobody placed yet. */
export function groupSource(group: string): GroupSource {
  if (BUILTIN_GROUPS.has(group)) return { type: 'builtin' };
  if (group === API_GROUP) return { type: 'platform' };
  for (const provider of PROVIDERS) {
    const match = provider.group.exec(group);
    if (match !== null) return { type: 'provider', package: provider.package(match), version: provider.version };
  }
  const addon = ADDON_GROUPS[group];
  if (addon !== undefined) return { type: 'addon', addon };
  throw new Error(
    `API group "${group}" is rendered by an example but not placed: add it to scripts/lib/dependencies.ts (built-in, provider or add-on)`,
  );
}

/** One composed resource type, as the examples render it. */
export interface ComposedType {
  apiVersion: string;
  kind: string;
  /** The XR kind that composes it. */
  composedBy: string;
  /** composition-resource-name values it appears under, sorted. */
  resourceNames: string[];
  /** Example files that render it, sorted. */
  examples: string[];
}

/** Everything the examples render, rendered once (docs and checks share it). */
export interface ExampleInventory {
  /** Example file -> XR kind, sorted by file. */
  examples: Array<{ file: string; kind: string }>;
  /** Composed types, sorted by composing kind, apiVersion and kind. */
  composed: ComposedType[];
}

const RESOURCE_NAME_ANNOTATION = 'crossplane.io/composition-resource-name';

/**
 * Every composed resource one example renders on its way to its fully created
 * state (scripts/lib/settle.ts), as Crossplane would apply them: kinds compose
 * some resources only once others exist (an Environment's Helm releases wait
 * for the cluster).
 */
function settledManifests(input: ExampleRender['input']): JsonObject[] {
  const seen: JsonObject[] = [];
  settle((observed) => {
    const { response } = composeInProcess(input.xr, input.requiredResources, { observed });
    seen.push(...desiredManifests(input.xr, response));
    return response;
  }, computedFor(input.xr));
  return seen;
}

/**
 * Renders every example to its fully created state and lists what each kind
 * composes, including resources composed only once others exist.
 */
export async function exampleInventory(root?: string): Promise<ExampleInventory> {
  const byKey = new Map<string, ComposedType>();
  const examples: ExampleInventory['examples'] = [];
  for (const example of exampleRenders(root)) {
    const kind = String(example.input.xr.kind);
    examples.push({ file: example.file, kind });
    for (const manifest of settledManifests(example.input)) {
      const apiVersion = String(manifest.apiVersion);
      const key = `${kind}\0${apiVersion}\0${String(manifest.kind)}`;
      const entry = byKey.get(key) ?? { apiVersion, kind: String(manifest.kind), composedBy: kind, resourceNames: [], examples: [] };
      const name = ((manifest.metadata as JsonObject | undefined)?.annotations as Record<string, string> | undefined)?.[RESOURCE_NAME_ANNOTATION];
      if (name !== undefined && !entry.resourceNames.includes(name)) entry.resourceNames.push(name);
      if (!entry.examples.includes(example.file)) entry.examples.push(example.file);
      byKey.set(key, entry);
    }
  }
  const composed = [...byKey.values()]
    .map((entry) => ({ ...entry, resourceNames: entry.resourceNames.sort(), examples: entry.examples.sort() }))
    .sort((a, b) => a.composedBy.localeCompare(b.composedBy) || a.apiVersion.localeCompare(b.apiVersion) || a.kind.localeCompare(b.kind));
  return { examples: examples.sort((a, b) => a.file.localeCompare(b.file)), composed };
}

/** A provider the Configuration must depend on, and why. */
export interface ProviderDependency {
  package: string;
  version: string;
  /** `apiVersion Kind` of the composed types that need it, sorted. */
  neededFor: string[];
}

/** The composed types of the given XR kinds (all when `kinds` is undefined). */
function composedBy(inventory: ExampleInventory, kinds: readonly string[] | undefined): ComposedType[] {
  return kinds === undefined ? inventory.composed : inventory.composed.filter((type) => kinds.includes(type.composedBy));
}

/**
 * The providers the examples' composed resources need, sorted by package;
 * with `kinds`, only what those XR kinds compose (one Configuration's share).
 */
export function providerDependencies(inventory: ExampleInventory, kinds?: readonly string[]): ProviderDependency[] {
  const byPackage = new Map<string, ProviderDependency>();
  for (const type of composedBy(inventory, kinds)) {
    const source = groupSource(apiGroup(type.apiVersion));
    if (source.type !== 'provider') continue;
    const entry = byPackage.get(source.package) ?? { package: source.package, version: source.version, neededFor: [] };
    const label = `${type.apiVersion} ${type.kind}`;
    if (!entry.neededFor.includes(label)) entry.neededFor.push(label);
    byPackage.set(source.package, entry);
  }
  return [...byPackage.values()].map((d) => ({ ...d, neededFor: d.neededFor.sort() })).sort((a, b) => a.package.localeCompare(b.package));
}

/** The add-ons whose CRDs the examples' composed resources need, with the groups, sorted. */
export function addonRequirements(inventory: ExampleInventory): Array<{ addon: string; groups: string[] }> {
  const byAddon = new Map<string, Set<string>>();
  for (const type of inventory.composed) {
    const group = apiGroup(type.apiVersion);
    const source = groupSource(group);
    if (source.type !== 'addon') continue;
    byAddon.set(source.addon, (byAddon.get(source.addon) ?? new Set()).add(group));
  }
  return [...byAddon.entries()].map(([addon, groups]) => ({ addon, groups: [...groups].sort() })).sort((a, b) => a.addon.localeCompare(b.addon));
}

/** One ClusterRole rule. */
export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * What Crossplane does to a composed resource (crossplane v2.3
 * internal/controller/apiextensions/composite): reads it through a watching
 * cache (get, list, watch), applies it server-side (patch; create when it does
 * not exist yet), updates it to drop its composed labels before garbage
 * collecting it, and deletes it.
 */
export const COMPOSED_RESOURCE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

/**
 * Resource names (plurals) of CRD kinds, from the upstream CRDs in schemas/.
 * Other YAML there (chart catalogs, values schemas) is skipped, not an error.
 */
function crdPlurals(root: string): Map<string, string> {
  const plurals = new Map<string, string>();
  for (const file of listFiles(join(root, 'schemas'), ['.yaml', '.yml'])) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
      if (typeof crd !== 'object' || crd === null || (crd as JsonObject).kind !== 'CustomResourceDefinition') continue;
      const spec = (crd as JsonObject).spec as { group?: string; names?: { kind?: string; plural?: string } } | undefined;
      if (spec?.group !== undefined && spec.names?.kind !== undefined && spec.names.plural !== undefined) plurals.set(`${spec.group}/${spec.names.kind}`, spec.names.plural);
    }
  }
  return plurals;
}

/** Kubernetes' own pluralisation of a built-in kind (PersistentVolumeClaim -> persistentvolumeclaims, NetworkPolicy -> networkpolicies). */
function builtinPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** The resource name (plural) RBAC uses for a kind: from its CRD in schemas/, else Kubernetes' own rule. */
export function resourceNamer(root = REPO_ROOT): (group: string, kind: string) => string {
  const plurals = crdPlurals(root);
  return (group, kind) => plurals.get(`${group}/${kind}`) ?? builtinPlural(kind);
}

/**
 * What Crossplane's service account must be allowed to do for the resources
 * the Compositions render that no provider brings (providers' and Crossplane's
 * own kinds are granted by Crossplane's RBAC manager): built-in kinds and
 * add-on CRDs. One rule per API group, resources sorted.
 */
export function crossplaneRbacRules(inventory: ExampleInventory, root = REPO_ROOT, kinds?: readonly string[]): RbacRule[] {
  const plural = resourceNamer(root);
  const byGroup = new Map<string, Set<string>>();
  for (const type of composedBy(inventory, kinds)) {
    const group = apiGroup(type.apiVersion);
    const source = groupSource(group);
    const crossplaneOwn = group.endsWith('.crossplane.io') && source.type === 'builtin';
    if (source.type === 'provider' || source.type === 'platform' || crossplaneOwn) continue;
    byGroup.set(group, (byGroup.get(group) ?? new Set()).add(plural(group, type.kind)));
  }
  return [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: [...COMPOSED_RESOURCE_VERBS] }));
}

/** The function a Configuration depends on: this release series' package, pinned to this release. */
export interface FunctionDependency {
  package: string;
  version: string;
}

/**
 * A Configuration's crossplane.yaml with `spec.dependsOn` set to exactly
 * `fn` and `providers` (comments and everything else kept).
 */
export function withDependencies(crossplaneYaml: string, fn: FunctionDependency, providers: readonly ProviderDependency[]): string {
  const doc = parseDocument(crossplaneYaml);
  const next = [
    { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function', package: fn.package, version: fn.version },
    ...providers.map((p) => ({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', package: p.package, version: p.version })),
  ];
  doc.setIn(['spec', 'dependsOn'], doc.createNode(next));
  return doc.toString({ lineWidth: 0, indentSeq: true });
}
