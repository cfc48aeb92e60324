import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, PLATFORM_NAMESPACES_VARIABLE } from '../functions/platform/src/kinds/environment/addons/dashboards.js';
import { DASHBOARD_LABEL, DATA_SOURCE_UIDS as GRAFANA_DATA_SOURCE_UIDS } from '../functions/platform/src/kinds/environment/addons/grafana.js';
import { MONITORING_NAMESPACE } from '../functions/platform/src/kinds/environment/addons/onprem-secrets.js';
import { releaseProblems } from '../scripts/lib/charts.js';
import { REPO_ROOT } from '../scripts/lib/validation.js';
import { dashboardQueries, dashboardSchemaValidator, dataSourceUids, metricNames, metricProblems, prometheusReading, readMetricFacts, seriesIndex, withGrafanaVariables, type JsonObject } from './helpers/dashboards.js';
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

  it.each(FILES)('%s: Prometheus\' own parser accepts every query and selects exactly the metrics the check reads', (file) => {
    const queries = dashboardQueries(fromFile(file));
    const readings = prometheusReading(queries.map((q) => withGrafanaVariables(q.expr)));
    const disagreements = queries.flatMap((q, i) => {
      const reading = readings[i] ?? { error: 'no answer' };
      if (reading.error !== undefined) return [`${q.where}: Prometheus refuses it: ${reading.error}`];
      const ours = metricNames(q.expr);
      return JSON.stringify(ours) === JSON.stringify(reading.names ?? []) ? [] : [`${q.where}: Prometheus selects ${JSON.stringify(reading.names)}, the check reads ${JSON.stringify(ours)}`];
    });
    expect(disagreements).toEqual([]);
  });

  it('the agreed uids are the ones the Grafanas the package runs provision', () => {
    expect(new Set(Object.values(GRAFANA_DATA_SOURCE_UIDS))).toEqual(DATA_SOURCE_UIDS);
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

  it.each([
    { reason: 'a query Prometheus cannot parse is refused, with the parser\'s reason', expr: 'sum(rate(up[$__rate_interval])', refused: true, ours: ['up'] },
    { reason: 'a metric named by __name__ is one Prometheus selects where the check reads none, so the comparison shows it', expr: '{__name__="up", job="x"}', names: ['up'], ours: [] },
    { reason: 'Grafana variables become values Prometheus accepts, and the check reads the same metric', expr: 'sum by (namespace) (rate(container_cpu_usage_seconds_total{namespace=~"${namespace:regex}"}[$__rate_interval]))', names: ['container_cpu_usage_seconds_total'], ours: ['container_cpu_usage_seconds_total'] },
  ])('Prometheus\' reading of a query: $reason', ({ expr, refused, names, ours }) => {
    const [reading] = prometheusReading([withGrafanaVariables(expr)]);
    if (refused === true) expect(reading?.error).toMatch(/parse error/);
    else expect(reading).toEqual({ names });
    expect(metricNames(expr)).toEqual(ours);
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
const valuesOf = (resources: Resources, addon: string): JsonObject => (forProvider(resources[`release-${addon}`]).values ?? {}) as JsonObject;
const installedOf = (resources: Resources): Set<string> => new Set(Object.keys(resources).flatMap((k) => (k.startsWith('release-') ? [k.slice('release-'.length)] : [])));
const configMapsOf = (resources: Resources): JsonObject[] =>
  Object.entries(resources)
    .filter(([key]) => key.startsWith('object-dashboards-'))
    .map(([, r]) => forProvider(r).manifest as JsonObject);
const dashboardIn = (configMap: JsonObject): JsonObject => JSON.parse(Object.values(configMap.data as Record<string, string>)[0] ?? '{}') as JsonObject;
const alloyConfigOf = (resources: Resources): string => ((valuesOf(resources, 'alloy').alloy as JsonObject).configMap as { content: string }).content;

function variant(example: string, spec: JsonObject): JsonObject {
  const xr = readManifest(`examples/environment/${example}.yaml`);
  return { ...xr, spec: { ...(xr.spec as JsonObject), ...spec } };
}

type Mode = 'in-cluster' | 'aws-managed' | 'grafana-cloud';

const GRAFANA_CLOUD = {
  observability: {
    mode: 'grafana-cloud',
    grafanaCloud: { prometheusUrl: 'https://prom.example/api/prom/push', lokiUrl: 'https://logs.example/loki/api/v1/push', tracesEndpoint: 'traces.example:443', credentialsSecret: 'dev/observability/grafana-cloud' },
  },
};

/**
 * Every example Environment with the mode its EnvironmentConfig picks (dev and on-prem in-cluster, prod
 * aws-managed, staging Grafana Cloud), the platform role in each mode, Cilium instead of Istio, and dev in
 * the other two modes.
 */
const ENVIRONMENTS: Record<string, { xr: JsonObject; mode: Mode }> = {
  dev: { xr: readManifest('examples/environment/dev.yaml'), mode: 'in-cluster' },
  onprem: { xr: readManifest('examples/environment/onprem.yaml'), mode: 'in-cluster' },
  prod: { xr: readManifest('examples/environment/prod.yaml'), mode: 'aws-managed' },
  'prod-standalone': { xr: readManifest('examples/environment/prod-standalone.yaml'), mode: 'aws-managed' },
  staging: { xr: readManifest('examples/environment/staging.yaml'), mode: 'grafana-cloud' },
  'dev as platform': { xr: variant('dev', { role: 'platform' }), mode: 'in-cluster' },
  'prod as platform': { xr: variant('prod', { role: 'platform' }), mode: 'aws-managed' },
  'staging as platform': { xr: variant('staging', { role: 'platform' }), mode: 'grafana-cloud' },
  'dev with cilium as the mesh': { xr: variant('dev', { overrides: { features: { cilium: true } } }), mode: 'in-cluster' },
  'dev with grafana cloud': { xr: variant('dev', { overrides: GRAFANA_CLOUD }), mode: 'grafana-cloud' },
  'dev as aws-managed': { xr: variant('dev', { overrides: { observability: { mode: 'aws-managed' } } }), mode: 'aws-managed' },
};

it('every example Environment is covered', () => {
  const examples = readdirSync(join(REPO_ROOT, 'examples/environment')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
  expect(examples.filter((e) => ENVIRONMENTS[e] === undefined)).toEqual([]);
});

/** The Grafana that loads the dashboards in each mode: kube-prometheus-stack's, the package's own, or none in the cluster. */
const GRAFANA_OF: Record<Mode, string | undefined> = { 'in-cluster': 'kube-prometheus-stack', 'aws-managed': 'grafana', 'grafana-cloud': undefined };

/** The dashboards each environment should get, from what it installs. */
function expectedDashboards(xr: JsonObject, installed: ReadonlySet<string>): string[] {
  const platform = (xr.spec as JsonObject).role === 'platform';
  return ['namespaces', 'gateways', 'operators', ...(platform ? ['pipeline'] : []), ...(installed.has('istiod') ? ['mesh'] : [])].sort();
}

describe('each environment composes the dashboards its Grafana loads, and collects what they read', SLOW, () => {
  for (const [name, { xr, mode }] of Object.entries(ENVIRONMENTS)) {
    it(`${name} (${mode})`, () => {
      const { resources } = settleEnvironment(xr);
      const installed = installedOf(resources);
      const configMaps = configMapsOf(resources);
      const platform = (xr.spec as JsonObject).role === 'platform';
      const expected = expectedDashboards(xr, installed);
      expect(installed.has('istiod')).toBe(!name.includes('cilium'));
      // Exactly one Grafana in the cluster where the mode runs one, and the dashboards wait for it.
      const grafana = GRAFANA_OF[mode];
      expect(['kube-prometheus-stack', 'grafana'].filter((a) => installed.has(a))).toEqual(grafana !== undefined ? [grafana] : []);

      // Every dashboard that applies reads only metrics something installed here collects: in Grafana Cloud too,
      // where users import the same JSON files.
      for (const file of expected) expect(metricProblems(fromFile(`${file}.json`), index, installed), `${file}.json`).toEqual([]);

      if (grafana === undefined) {
        expect(configMaps).toEqual([]);
      } else {
        expect(configMaps.map((c) => (c.metadata as JsonObject).name).sort()).toEqual(expected.map((d) => `dashboard-${d}`).sort());
        const namespaces = new Set<string>();
        for (const [key, r] of Object.entries(resources)) if (key.startsWith('release-')) namespaces.add(String(forProvider(r).namespace));
        for (const configMap of configMaps) {
          const metadata = configMap.metadata as JsonObject;
          expect(metadata.namespace).toBe(MONITORING_NAMESPACE);
          expect(metadata.labels).toEqual({ [DASHBOARD_LABEL.name]: DASHBOARD_LABEL.value });
          const dashboard = dashboardIn(configMap);
          expect(validate(dashboard)).toEqual([]);
          expect(metricProblems(dashboard, index, installed)).toEqual([]);
          const scope = ((dashboard.templating as JsonObject).list as JsonObject[]).find((v) => v.name === PLATFORM_NAMESPACES_VARIABLE);
          if (scope !== undefined) expect(String(scope.query).split('|')).toEqual([...namespaces].sort());
        }
        // The Grafana's sidecar loads from where the ConfigMaps are, by their label.
        const sidecar = ((grafana === 'grafana' ? valuesOf(resources, 'grafana') : (valuesOf(resources, 'kube-prometheus-stack').grafana as JsonObject)).sidecar as JsonObject).dashboards;
        expect(sidecar).toMatchObject({ enabled: true, label: DASHBOARD_LABEL.name, labelValue: DASHBOARD_LABEL.value, searchNamespace: MONITORING_NAMESPACE });
      }

      // Who collects what the dashboards read. In-cluster: kube-prometheus-stack (kube-state-metrics, cAdvisor) and
      // the charts' monitors; elsewhere Alloy: its node's kubelet and cAdvisor, the package's kube-state-metrics,
      // and the operators' annotated pods. Never both, so nothing is counted twice.
      const alloy = alloyConfigOf(resources);
      const operator = mode === 'in-cluster';
      expect(installed.has('kube-state-metrics')).toBe(!operator);
      for (const job of ['prometheus.scrape "kubelet"', 'prometheus.scrape "cadvisor"', 'prometheus.scrape "kube_state_metrics"']) expect(alloy.includes(job), job).toBe(!operator);
      expect(alloy).toContain('prometheus.scrape "pods"');
      const annotations = { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' };
      const keda = valuesOf(resources, 'keda');
      expect(keda).toMatchObject({ prometheus: { operator: { enabled: true, port: 8080, serviceMonitor: { enabled: operator } } } });
      expect((keda.podAnnotations as JsonObject | undefined)?.keda).toEqual(operator ? undefined : annotations);
      const externalSecrets = valuesOf(resources, 'external-secrets');
      expect(externalSecrets.serviceMonitor).toEqual(operator ? { enabled: true, renderMode: 'failIfMissing' } : undefined);
      expect((externalSecrets.global as JsonObject | undefined)?.podAnnotations).toEqual(operator ? undefined : annotations);
      if (platform) {
        const nats = valuesOf(resources, 'nats');
        expect(nats).toMatchObject({ promExporter: { enabled: true, port: 7777, podMonitor: { enabled: operator } } });
        const merged = ((nats.podTemplate as JsonObject).merge as JsonObject | undefined)?.metadata as JsonObject | undefined;
        expect(merged?.annotations).toEqual(operator ? undefined : { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '7777' });
      }
      for (const addon of ['keda', 'external-secrets', 'alloy', ...(platform ? ['nats'] : []), ...(operator ? [] : ['kube-state-metrics'])]) expect(releaseProblems(resources[`release-${addon}`] as JsonObject), addon).toEqual([]);
    });
  }
});
