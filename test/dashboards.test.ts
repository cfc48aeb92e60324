import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_LABEL, DASHBOARDS, PLATFORM_NAMESPACES_VARIABLE } from '../functions/platform/src/kinds/environment/addons/dashboards.js';
import { MONITORING_NAMESPACE } from '../functions/platform/src/kinds/environment/addons/onprem-secrets.js';
import { releaseProblems } from '../scripts/lib/charts.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { dashboardQueries, dashboardSchemaValidator, dataSourceUids, metricNames, metricProblems, readMetricFacts, seriesIndex, type JsonObject } from './helpers/dashboards.js';
import { readManifest } from './helpers/requests.js';
import { settleEnvironment, type Resources } from './helpers/settle.js';

const DIR = join(REPO_ROOT, 'functions/platform/src/kinds/environment/addons/dashboards');
/** Agreed data source uids of every Grafana the package runs (docs/addons/observability). */
const DATA_SOURCE_UIDS = new Set(['prometheus', 'loki', 'tempo']);
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const fromFile = (file: string): JsonObject => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as JsonObject;
const validate = dashboardSchemaValidator();
const facts = readMetricFacts();
const index = seriesIndex(facts);
const everything = new Set(facts.flatMap((f) => f.installedBy));
/** Settling a whole Environment takes seconds; more on a busy machine. */
const SLOW = { timeout: 120_000 };

describe('the shipped dashboards', () => {
  it('are exactly the JSON files in addons/dashboards, each parsing as JSON', () => {
    expect(DASHBOARDS.map((d) => `${d.name}.json`).sort()).toEqual(FILES);
    for (const file of FILES) expect(() => fromFile(file), file).not.toThrow();
  });

  it.each(FILES)('%s validates against Grafana\'s dashboard model', (file) => {
    expect(validate(fromFile(file))).toEqual([]);
  });

  it('have unique uids and titles', () => {
    const dashboards = FILES.map(fromFile);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(FILES.length);
    expect(new Set(dashboards.map((d) => d.title)).size).toBe(FILES.length);
  });

  it.each(FILES)('%s names only the agreed data source uids', (file) => {
    const uids = dataSourceUids(fromFile(file));
    expect(uids.length).toBeGreaterThan(0);
    expect(uids.filter((uid) => !DATA_SOURCE_UIDS.has(uid))).toEqual([]);
  });

  it.each(FILES)('%s queries only metrics a component the package can install exposes', (file) => {
    const dashboard = fromFile(file);
    expect(dashboardQueries(dashboard).length).toBeGreaterThan(0);
    expect(metricProblems(dashboard, index, everything)).toEqual([]);
  });

  it('facts name where each was read and which add-on installs the component', () => {
    for (const f of facts) {
      expect(f.installedBy.length, f.file).toBeGreaterThan(0);
      expect(f.metrics.length, f.file).toBeGreaterThan(0);
      expect(f.sources.length, f.file).toBeGreaterThan(0);
      for (const s of f.sources) expect([s.repo, s.path, s.commit].every((v) => typeof v === 'string' && v.length > 0), `${f.file}: ${JSON.stringify(s)}`).toBe(true);
    }
  });
});

describe('the checks catch what they are for', () => {
  const base = fromFile('pipeline.json');
  const panels = base.panels as JsonObject[];

  it('reads metric names out of PromQL, not functions, keywords, labels or variables', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket{namespace=~"$ns", le!="x"}[$__rate_interval])))')).toEqual(['controller_runtime_reconcile_time_seconds_bucket']);
    expect(metricNames('sum(a_total{x="y"}) / on (pod) group_left(node) b_info offset 5m or vector(0) > bool 1')).toEqual(['a_total', 'b_info']);
    expect(metricNames('kube_statefulset_replicas - kube_statefulset_status_replicas_ready')).toEqual(['kube_statefulset_replicas', 'kube_statefulset_status_replicas_ready']);
  });

  it('an unknown metric fails the metric check', () => {
    const target = { refId: 'A', datasource: { type: 'prometheus', uid: 'prometheus' }, expr: 'sum(rate(nats_consumer_lag_total[5m]))' };
    const bad = { ...base, panels: [...panels, { ...(panels[1] as JsonObject), id: 99, targets: [target] }] };
    expect(metricProblems(bad, index, everything)).toEqual([expect.stringContaining('metric nats_consumer_lag_total is in no schemas/metrics file')]);
  });

  it('a metric of a component the environment does not install fails the metric check', () => {
    const problems = metricProblems(base, index, new Set(['keda', 'kube-prometheus-stack']));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.includes('prometheus-nats-exporter, which this environment does not install'))).toBe(true);
  });

  it('a malformed panel fails the schema check', () => {
    const { gridPos: _gridPos, ...panel } = panels[1] as JsonObject;
    const noType = { ...panel, type: undefined, gridPos: { x: 0, y: 0, w: 12 } };
    expect(validate({ ...base, panels: [noType] }).length).toBeGreaterThan(0);
    expect(validate({ ...base, panels: [{ ...(panels[1] as JsonObject), span: 6 }] }).join('\n')).toContain('span');
    expect(validate({ ...base, schemaVersion: '41' }).join('\n')).toContain('/schemaVersion');
  });

  it('a data source outside the agreed uids is found', () => {
    const other = { ...base, panels: [{ ...(panels[1] as JsonObject), datasource: { type: 'prometheus', uid: 'amp' } }] };
    expect(dataSourceUids(other).filter((uid) => !DATA_SOURCE_UIDS.has(uid))).toEqual(['amp']);
  });
});

const forProvider = (r: JsonObject | undefined): JsonObject => ((r?.spec as JsonObject | undefined)?.forProvider ?? {}) as JsonObject;
const installedOf = (resources: Resources): Set<string> => new Set(Object.keys(resources).flatMap((k) => (k.startsWith('release-') ? [k.slice('release-'.length)] : [])));
const configMapsOf = (resources: Resources): JsonObject[] =>
  Object.entries(resources)
    .filter(([key]) => key.startsWith('object-dashboards-'))
    .map(([, r]) => forProvider(r).manifest as JsonObject);
const dashboardIn = (configMap: JsonObject): JsonObject => JSON.parse(Object.values(configMap.data as Record<string, string>)[0] ?? '{}') as JsonObject;

function variant(example: string, spec: JsonObject): JsonObject {
  const xr = readManifest(`examples/environment/${example}.yaml`);
  return { ...xr, spec: { ...(xr.spec as JsonObject), ...spec } };
}

const GRAFANA_CLOUD = { observability: { mode: 'grafana-cloud', grafanaCloud: { prometheusUrl: 'https://prom.example/api/prom/push', lokiUrl: 'https://logs.example/loki/api/v1/push', credentialsSecret: 'dev/observability/grafana-cloud' } } };

/** Every example Environment (all keep Grafana in the cluster), the platform role, Cilium instead of Istio, and Grafana Cloud. */
const ENVIRONMENTS: Record<string, JsonObject> = {
  ...Object.fromEntries(
    readdirSync(join(REPO_ROOT, 'examples/environment'))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => [f.replace(/\.yaml$/, ''), readManifest(`examples/environment/${f}`)]),
  ),
  'staging as platform': variant('staging', { role: 'platform' }),
  'dev with cilium as the mesh': variant('dev', { overrides: { features: { cilium: true } } }),
  'dev with grafana cloud': variant('dev', { overrides: GRAFANA_CLOUD }),
};

describe('each environment composes the dashboards its Grafana loads', SLOW, () => {
  for (const [name, xr] of Object.entries(ENVIRONMENTS)) {
    it(name, () => {
      const { resources } = settleEnvironment(xr);
      const installed = installedOf(resources);
      const configMaps = configMapsOf(resources);
      if (name.includes('grafana cloud')) {
        // No Grafana in the cluster, and no Prometheus Operator to take monitors.
        expect(configMaps).toEqual([]);
        expect(JSON.stringify(forProvider(resources['release-keda']).values)).toContain('"serviceMonitor":{"enabled":false}');
        return;
      }
      expect(installed.has('kube-prometheus-stack')).toBe(true);
      expect(installed.has('istiod')).toBe(!name.includes('cilium'));
      const platform = (xr.spec as JsonObject).role === 'platform';
      const expected = ['namespaces', 'gateways', 'operators', ...(platform ? ['pipeline'] : []), ...(installed.has('istiod') ? ['mesh'] : [])].sort();
      expect(configMaps.map((c) => (c.metadata as JsonObject).name).sort()).toEqual(expected.map((d) => `dashboard-${d}`).sort());
      const namespaces = new Set<string>();
      for (const [key, r] of Object.entries(resources)) if (key.startsWith('release-')) namespaces.add(String(forProvider(r).namespace));
      for (const configMap of configMaps) {
        const metadata = configMap.metadata as JsonObject;
        expect(metadata.namespace).toBe(MONITORING_NAMESPACE);
        expect(metadata.labels).toEqual(DASHBOARD_LABEL);
        const dashboard = dashboardIn(configMap);
        expect(validate(dashboard)).toEqual([]);
        expect(metricProblems(dashboard, index, installed)).toEqual([]);
        const scope = ((dashboard.templating as JsonObject).list as JsonObject[]).find((v) => v.name === PLATFORM_NAMESPACES_VARIABLE);
        if (scope !== undefined) expect(String(scope.query).split('|')).toEqual([...namespaces].sort());
      }
      // The charts expose what the dashboards read, and their monitors fit the charts.
      expect(forProvider(resources['release-keda']).values).toMatchObject({ prometheus: { operator: { enabled: true, serviceMonitor: { enabled: true } } } });
      expect(forProvider(resources['release-external-secrets']).values).toMatchObject({ serviceMonitor: { enabled: true } });
      if (platform) expect(forProvider(resources['release-nats']).values).toMatchObject({ promExporter: { enabled: true, podMonitor: { enabled: true } } });
      for (const addon of ['keda', 'external-secrets', ...(platform ? ['nats'] : [])]) expect(releaseProblems(resources[`release-${addon}`] as JsonObject)).toEqual([]);
    });
  }
});
