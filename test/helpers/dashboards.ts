import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { TOOLS_DIR } from '../../scripts/lib/crossplane-cli.js';
import { REPO_ROOT } from '../../scripts/lib/validation.js';

export type JsonObject = Record<string, unknown>;

/** One file of schemas/metrics: what a component exposes, and the add-ons whose installation puts it in the cluster. */
export interface MetricFacts {
  file: string;
  component: string;
  installedBy: string[];
  /** Where the names were read: repository, tag, commit and path. */
  sources: Array<{ repo?: string; tag?: string; commit?: string; path?: string }>;
  metrics: Array<{ name: string; type: 'counter' | 'gauge' | 'histogram' | 'summary' }>;
}

export function readMetricFacts(): MetricFacts[] {
  const dir = join(REPO_ROOT, 'schemas/metrics');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, ...(parse(readFileSync(join(dir, file), 'utf8')) as Omit<MetricFacts, 'file'>) }));
}

/** The series names a metric exposes: a histogram's (and summary's) _bucket/_sum/_count next to its base name. */
function seriesNames(metric: MetricFacts['metrics'][number]): string[] {
  if (metric.type === 'histogram') return [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`];
  if (metric.type === 'summary') return [metric.name, `${metric.name}_sum`, `${metric.name}_count`];
  return [metric.name];
}

/** Series name → the facts files that list it. */
export function seriesIndex(facts: readonly MetricFacts[]): Map<string, MetricFacts[]> {
  const index = new Map<string, MetricFacts[]>();
  for (const f of facts) for (const m of f.metrics) for (const s of seriesNames(m)) index.set(s, [...(index.get(s) ?? []), f]);
  return index;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. Strings, label matchers,
 * grouping and matching label lists, range and offset durations and Grafana
 * variables are removed first; what is left is function names (followed by
 * `(`), keywords, numbers, operators and metric names.
 */
export function metricNames(expr: string): string[] {
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  rest = rest.replace(/\boffset\s+\S+/g, ' ');
  const names = new Set<string>();
  for (const match of rest.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name === undefined || call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

/** Every PromQL query of a dashboard, with where it is: panel targets (rows' nested panels too) and query variables. */
export function dashboardQueries(dashboard: JsonObject): Array<{ where: string; expr: string }> {
  const queries: Array<{ where: string; expr: string }> = [];
  const panels = (list: unknown): void => {
    for (const panel of (list ?? []) as JsonObject[]) {
      for (const target of (panel.targets ?? []) as JsonObject[]) {
        if (typeof target.expr === 'string') queries.push({ where: `panel "${String(panel.title)}" ${String(target.refId)}`, expr: target.expr });
      }
      panels(panel.panels);
    }
  };
  panels(dashboard.panels);
  for (const variable of ((dashboard.templating as JsonObject | undefined)?.list ?? []) as JsonObject[]) {
    if (variable.type !== 'query' || typeof variable.query !== 'string') continue;
    // label_values(<selector>, <label>) and query_result(<expr>) wrap a PromQL selector or expression.
    const inner = /^\s*(?:label_values|query_result)\((.*)\)\s*$/s.exec(variable.query)?.[1] ?? variable.query;
    const selector = variable.query.trim().startsWith('label_values(') ? inner.replace(/,\s*\w+\s*$/, '') : inner;
    queries.push({ where: `variable ${String(variable.name)}`, expr: selector });
  }
  return queries;
}

/**
 * Problems of a dashboard's queries in one environment: a metric no facts
 * file lists, or one whose component none of `installed` (the add-ons the
 * environment installs) puts there.
 */
export function metricProblems(dashboard: JsonObject, index: Map<string, MetricFacts[]>, installed: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of dashboardQueries(dashboard)) {
    for (const name of metricNames(expr)) {
      const facts = index.get(name);
      if (facts === undefined) problems.push(`${String(dashboard.uid)} ${where}: metric ${name} is in no schemas/metrics file`);
      else if (!facts.some((f) => f.installedBy.some((addon) => installed.has(addon)))) {
        problems.push(`${String(dashboard.uid)} ${where}: metric ${name} comes from ${facts.map((f) => f.component).join(', ')}, which this environment does not install`);
      }
    }
  }
  return problems;
}

/** Every data source uid a dashboard names (panels, targets, variables, annotations). */
export function dataSourceUids(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(dataSourceUids);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as JsonObject).flatMap(([key, v]) => {
    if (key === 'datasource') return typeof v === 'string' ? [v] : typeof (v as JsonObject | null)?.uid === 'string' ? [String((v as JsonObject).uid)] : [];
    return dataSourceUids(v);
  });
}

/** A validator of Grafana's dashboard model (schemas/grafana/dashboard.jsonschema.json); returns one line per problem. */
export function dashboardSchemaValidator(): (dashboard: unknown) => string[] {
  const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/grafana/dashboard.jsonschema.json'), 'utf8')) as JsonObject;
  const { $schema: _draft, ...body } = schema;
  // Formats (date-time of snapshot metadata) are not what is checked here; every keyword else is.
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false }).compile(body);
  const line = (e: ErrorObject) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`;
  return (dashboard) => (validate(dashboard) ? [] : (validate.errors ?? []).map(line));
}

/**
 * A query as Prometheus receives it from Grafana: the interval variables become
 * a duration and every other variable a plain value (they stand in label
 * values), so Prometheus' parser can read it.
 */
export function withGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, '5m').replace(/\$\{?\w+(?::\w+)?\}?|\[\[\w+\]\]/g, 'x');
}

/** What Prometheus' own parser (scripts/crossplane-tools/promql-names) reads in each expression: the metric names it selects, or why it refuses it. */
export function prometheusReading(exprs: readonly string[]): Array<{ names?: string[]; error?: string }> {
  const binary = join(TOOLS_DIR, 'promql-names');
  const run = spawnSync(binary, [], { input: JSON.stringify(exprs), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.error !== undefined || run.status !== 0) throw new Error(`cannot run ${binary} (build it with scripts/crossplane-tools/build.sh): ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as Array<{ names?: string[]; error?: string }>;
}
