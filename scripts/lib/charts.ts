import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchema } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { REPO_ROOT } from './validation.js';

type JsonObject = Record<string, unknown>;

/** One chart of schemas/charts/catalog.yaml (a copy of the shared chart catalog). */
export interface CatalogChart {
  name: string;
  repository: string;
  chart: string;
  version: string;
  valuesSchema: string | null;
  topLevelKeys: string[];
}

let catalog: CatalogChart[] | undefined;

/** The chart catalog: real repositories, chart names, versions and value keys. */
export function chartCatalog(): CatalogChart[] {
  catalog ??= parse(readFileSync(join(REPO_ROOT, 'schemas/charts/catalog.yaml'), 'utf8')) as CatalogChart[];
  return catalog;
}

/** The catalog entry of a chart by repository and chart name (OCI references may carry the chart name). */
export function findChart(repository: string, chart: string): CatalogChart | undefined {
  const normalise = (r: string) => r.replace(/\/+$/, '').replace(new RegExp(`/${chart}$`), '');
  const strip = (r: string) => r.replace(/\/+$/, '');
  // A Release names an OCI repository without the chart (provider-helm adds it); the org may share
  // the chart's name (oci://public.ecr.aws/karpenter/karpenter), so strip the chart once, from the catalog side.
  return chartCatalog().find((c) => c.chart === chart && (normalise(c.repository) === normalise(repository) || normalise(c.repository) === strip(repository)));
}

const validators = new Map<string, (values: unknown) => string[]>();

function schemaValidator(entry: CatalogChart): ((values: unknown) => string[]) | undefined {
  if (entry.valuesSchema === null) return undefined;
  const path = join(REPO_ROOT, 'schemas/charts', entry.valuesSchema);
  if (!existsSync(path)) return undefined;
  const cached = validators.get(path);
  if (cached !== undefined) return cached;
  const schema = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
  const draft = String(schema.$schema ?? '');
  const { $schema: _ignored, ...body } = schema;
  const options = { strict: false, allErrors: true, validateFormats: false, logger: false } as const;
  const ajv = draft.includes('2020-12') ? new Ajv2020(options) : draft.includes('2019-09') ? new Ajv2019(options) : new Ajv(options);
  const validate = ajv.compile(body as AnySchema);
  // Helm validates the user's values merged over the chart's defaults, which supply every
  // property a schema marks required (velero requires image, rbac, ...): a partial override
  // is judged on what it sets, not on what it leaves to the defaults.
  const check = (values: unknown) => (validate(values) ? [] : (validate.errors ?? []).filter((e) => e.keyword !== 'required').map((e) => `values${e.instancePath.replaceAll('/', '.')}: ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`));
  validators.set(path, check);
  return check;
}

/**
 * Problems with a Release's chart and values: a chart or version that is not
 * the catalog's, a top-level key the chart does not have (a misspelled key
 * installs silently and does nothing), or values its own schema refuses.
 */
export function releaseProblems(release: JsonObject): string[] {
  const forProvider = ((release.spec as JsonObject | undefined)?.forProvider ?? {}) as { chart?: { name?: string; repository?: string; version?: string }; values?: JsonObject };
  const chart = forProvider.chart ?? {};
  const entry = findChart(chart.repository ?? '', chart.name ?? '');
  if (entry === undefined) return [`chart ${chart.repository}/${chart.name} is not in the chart catalog`];
  const problems: string[] = [];
  if (chart.version !== entry.version) problems.push(`chart ${entry.chart} version ${chart.version} is not the catalog's ${entry.version}`);
  const values = forProvider.values ?? {};
  for (const key of Object.keys(values)) {
    if (!entry.topLevelKeys.includes(key)) problems.push(`values.${key}: chart ${entry.chart} has no such key`);
  }
  problems.push(...(schemaValidator(entry)?.(values) ?? []));
  return problems;
}
