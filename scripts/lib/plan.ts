/**
 * The plan of an XR: every resource it composes once fully created, grouped
 * by the concern the function records on each of them (the
 * `platform.projectcatalyst.io/component` label, and for add-ons the
 * `platform.projectcatalyst.io/addon` label). No cluster: the render is driven
 * to its fixpoint in-process with providers simulated (settle.ts,
 * providers.ts), which test/e2e.test.ts proves equal to the real engine.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { API_GROUP, API_GROUP_VERSION } from '../../functions/platform/src/composite.js';
import { KINDS } from '../../functions/platform/src/kinds/index.js';
import { composeInProcess, desiredManifests, desiredXr } from './in-process.js';
import { computedFor } from './providers.js';
import { listFiles, parseManifests } from './schema-validator.js';
import { settle } from './settle.js';
import { REPO_ROOT } from './validation.js';

type JsonObject = Record<string, unknown>;

const COMPONENT_LABEL = `${API_GROUP}/component`;
const ADDON_LABEL = `${API_GROUP}/addon`;

/** A Helm release in the plan: what it installs, from where, with which values. */
export interface PlannedChart {
  repository: string;
  chart: string;
  version: string;
  namespace: string;
  values: JsonObject;
}

/** One composed resource of the plan. */
export interface PlannedResource {
  /** Composition-resource name: stable across renders, what a diff matches on. */
  key: string;
  apiVersion: string;
  kind: string;
  name: string;
  /** The concern the function recorded (component label), or the XR's kind for kinds that compose one concern. */
  group: string;
  /** The add-on it belongs to, if any. */
  addon?: string;
  chart?: PlannedChart;
  manifest: JsonObject;
}

/** A group of the plan with its resources in composition order. */
export interface PlanGroup {
  name: string;
  resources: PlannedResource[];
  /** For the add-ons group: its resources per add-on, in install order. */
  addons?: Array<{ name: string; resources: PlannedResource[] }>;
}

export interface Plan {
  xr: { kind: string; name: string; namespace?: string };
  /** The XR with the status the function reports once everything exists. */
  status: JsonObject;
  groups: PlanGroup[];
  total: number;
  /** Reconciles it took to get there (in-process). */
  rounds: number;
}

/** Where the resources an XR's Composition reads come from. */
export interface PlanSources {
  /** EnvironmentConfig files or directories; default: environment-configs/ and examples/environment-cluster/. */
  configs?: readonly string[];
  /** Files or directories with the Hubs (with status) an Environment's hubRef names; default: examples/required/. */
  hubs?: readonly string[];
}

function readYaml(path: string): JsonObject[] {
  const files = statSync(path).isDirectory() ? listFiles(path, ['.yaml', '.yml']) : [path];
  return files.flatMap((file) => parseManifests(readFileSync(file, 'utf8'), file));
}

/** The pool the Composition's required resources are answered from. */
export function requiredPool(sources: PlanSources = {}, root = REPO_ROOT): JsonObject[] {
  const configs = sources.configs ?? [join(root, 'environment-configs'), join(root, 'examples/environment-cluster')];
  const hubs = sources.hubs ?? [join(root, 'examples/required')];
  return [...configs.flatMap(readYaml), ...hubs.flatMap(readYaml)];
}

/** The XRs of this package in a file (other documents are refused: a plan is of XRs). */
export function readXrs(path: string): JsonObject[] {
  const documents = parseManifests(readFileSync(path, 'utf8'), path);
  if (documents.length === 0) throw new Error(`${path}: no XR in the file`);
  for (const document of documents) {
    const known = KINDS.some((k) => k.kind === document.kind);
    if (document.apiVersion !== API_GROUP_VERSION || !known) {
      throw new Error(`${path}: ${String(document.apiVersion)} ${String(document.kind)} is not an XR of this package (${API_GROUP_VERSION}: ${KINDS.map((k) => k.kind).join(', ')})`);
    }
  }
  return documents;
}

function labelsOf(manifest: JsonObject): Record<string, string> {
  return (((manifest.metadata ?? {}) as JsonObject).labels ?? {}) as Record<string, string>;
}

function chartOf(manifest: JsonObject): PlannedChart | undefined {
  if (manifest.kind !== 'Release' || !String(manifest.apiVersion).startsWith('helm.m.crossplane.io/')) return undefined;
  const forProvider = ((manifest.spec ?? {}) as JsonObject).forProvider as JsonObject | undefined;
  const chart = (forProvider?.chart ?? {}) as JsonObject;
  return {
    repository: String(chart.repository ?? ''),
    chart: String(chart.name ?? ''),
    version: String(chart.version ?? ''),
    namespace: String(forProvider?.namespace ?? ''),
    values: (forProvider?.values ?? {}) as JsonObject,
  };
}

/** The plan of one XR with its Composition's required resources answered from `pool`. */
export function planXr(xr: JsonObject, pool: readonly JsonObject[]): Plan {
  const result = settle((observed) => {
    const { response, summary } = composeInProcess(xr, pool, { observed });
    if (summary.outcome !== 'composed') throw new Error(`cannot plan ${String(xr.kind)} ${JSON.stringify((xr.metadata as JsonObject | undefined)?.name)}: ${summary.outcome}${summary.message !== undefined ? `: ${summary.message}` : ''}`);
    return response;
  }, computedFor(xr));
  const response = result.response;
  const metadata = (xr.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = String(xr.kind);
  const manifests = new Map(desiredManifests(xr, response).map((m) => [String(((m.metadata as JsonObject).annotations as JsonObject)['crossplane.io/composition-resource-name']), m]));
  const groups = new Map<string, PlanGroup>();
  // The response's order is the builders' order: network before cluster, add-ons in install order.
  for (const key of Object.keys(response.desired?.resources ?? {})) {
    const manifest = manifests.get(key);
    if (manifest === undefined) continue;
    const labels = labelsOf(manifest);
    const addon = labels[ADDON_LABEL];
    const chart = chartOf(manifest);
    const planned: PlannedResource = {
      key,
      apiVersion: String(manifest.apiVersion),
      kind: String(manifest.kind),
      name: String((manifest.metadata as JsonObject).name),
      group: labels[COMPONENT_LABEL] ?? kind.toLowerCase(),
      ...(addon !== undefined ? { addon } : {}),
      ...(chart !== undefined ? { chart } : {}),
      manifest,
    };
    let group = groups.get(planned.group);
    if (group === undefined) {
      group = { name: planned.group, resources: [] };
      groups.set(planned.group, group);
    }
    group.resources.push(planned);
    if (addon !== undefined) {
      group.addons ??= [];
      let entry = group.addons.find((a) => a.name === addon);
      if (entry === undefined) {
        entry = { name: addon, resources: [] };
        group.addons.push(entry);
      }
      entry.resources.push(planned);
    }
  }
  const all = [...groups.values()];
  return {
    xr: { kind, name: String(metadata.name), ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}) },
    status: (desiredXr(xr, response).status ?? {}) as JsonObject,
    groups: all,
    total: all.reduce((sum, g) => sum + g.resources.length, 0),
    rounds: result.rounds,
  };
}

function countKinds(resources: readonly PlannedResource[]): string {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
}

function xrLabel(plan: Plan): string {
  return `${plan.xr.kind} ${plan.xr.namespace !== undefined ? `${plan.xr.namespace}/` : ''}${plan.xr.name}`;
}

/** The human summary: counts per group and kind, each add-on with its chart and version, the total. */
export function formatSummary(plan: Plan): string {
  const lines = [`Plan: ${xrLabel(plan)} composes ${plan.total} resources when fully created (${plan.rounds} reconciles in the simulation)`, ''];
  const width = Math.max(...plan.groups.flatMap((g) => [g.name.length, ...(g.addons ?? []).map((a) => a.name.length + 2)]), 5);
  for (const group of plan.groups) {
    lines.push(`${group.name.padEnd(width)}  ${String(group.resources.length).padStart(4)}  ${group.addons === undefined ? countKinds(group.resources) : `${group.addons.length} add-ons`}`);
    for (const addon of group.addons ?? []) {
      const charts = addon.resources.flatMap((r) => (r.chart !== undefined ? [`chart ${r.chart.chart} ${r.chart.version} (${r.chart.repository}) in ${r.chart.namespace}`] : []));
      lines.push(`  ${addon.name.padEnd(width - 2)}  ${String(addon.resources.length).padStart(4)}  ${[countKinds(addon.resources), ...charts].join('; ')}`);
    }
  }
  // IAM serves every concern, so its resources sit in the groups they serve; this line sums them up.
  const iam = plan.groups.flatMap((g) => g.resources).filter((r) => r.apiVersion.startsWith('iam.aws.m.upbound.io/'));
  if (iam.length > 0) lines.push('', `IAM across the groups: ${countKinds(iam)}`);
  lines.push('', `${'total'.padEnd(width)}  ${String(plan.total).padStart(4)}`);
  lines.push('', 'Helm values: --output values; every manifest: --output yaml.');
  return `${lines.join('\n')}\n`;
}

/** Every composed manifest as YAML documents, grouped, each preceded by a comment naming its group and key. */
export function formatYaml(plan: Plan): string {
  return plan.groups
    .flatMap((group) => group.resources.map((r) => `# ${group.name}${r.addon !== undefined ? `/${r.addon}` : ''}: ${r.key}\n${stringify(r.manifest)}`))
    .join('---\n');
}

/** Each Helm release: its add-on, chart, version and the values it installs with. */
export function formatValues(plan: Plan): string {
  const releases = plan.groups.flatMap((g) => g.resources).filter((r) => r.chart !== undefined);
  if (releases.length === 0) return `# ${xrLabel(plan)} installs no Helm release\n`;
  return releases.map((r) => `# ${r.addon ?? r.key}: ${r.chart?.chart} ${r.chart?.version} from ${r.chart?.repository}\n${stringify({ release: r.key, namespace: r.chart?.namespace, values: r.chart?.values })}`).join('---\n');
}

/** The plan as JSON: groups with their resources' keys, kinds, names, charts and manifests. */
export function formatJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
