import { beforeAll, describe, expect, it } from 'vitest';
import { environmentComputed, type Resources } from './helpers/settle.js';
import { forProvider, manifestOf, settledExample, settledProblems } from './helpers/settled-checks.js';
import { readManifest, type JsonObject } from './helpers/requests.js';

/**
 * Observability wired end to end, per mode: every Alloy pipeline ends at a
 * sink that is composed (an in-cluster Service of a composed release, the
 * environment's Prometheus workspace, or the configured Grafana Cloud
 * endpoint), every Grafana data source points at one, every link between
 * data sources names a data source that exists, and each role allows
 * exactly what its component calls (the IAM model in test/aws simulates
 * those calls; here the statements themselves are pinned).
 */

type Mode = 'grafana-cloud' | 'in-cluster' | 'aws-managed' | 'on-prem';

/** One example per mode (environment-configs pick the mode per environment; docs/addons/core.md). */
const MODES: { mode: Mode; example: string; environment: string; reason: string }[] = [
  { mode: 'grafana-cloud', example: 'staging', environment: 'staging', reason: 'staging sends metrics, logs and traces to Grafana Cloud' },
  { mode: 'in-cluster', example: 'dev', environment: 'dev', reason: 'dev keeps Prometheus, Loki on its logs bucket and Tempo in the cluster' },
  { mode: 'aws-managed', example: 'prod', environment: 'prod', reason: 'prod writes metrics to Amazon Managed Prometheus, logs and traces to the logs bucket' },
  { mode: 'on-prem', example: 'onprem', environment: 'onprem', reason: 'on-prem keeps everything in the cluster, Loki and Tempo on MinIO' },
];

/**
 * The Services each chart's release creates (name and port) that a pipeline
 * or data source may point at, from the charts' templates: kube-prometheus-stack
 * `<release>-prometheus`:9090 and `<release>-grafana`:80, Loki's single binary
 * `loki`:3100, Tempo `tempo`:3200 (API) and 4317 (OTLP gRPC), Grafana
 * `grafana`:80, Alloy `alloy` with the OTLP ports it adds (extraPorts).
 */
const RELEASE_SERVICES: Readonly<Record<string, readonly string[]>> = {
  'kube-prometheus-stack': ['kube-prometheus-stack-prometheus:9090', 'kube-prometheus-stack-grafana:80'],
  loki: ['loki:3100'],
  tempo: ['tempo:3200', 'tempo:4317'],
  grafana: ['grafana:80'],
  alloy: ['alloy:4317', 'alloy:4318'],
};

/** `service:port` in a namespace, for every Service of a composed release. */
function composedServices(resources: Resources): Set<string> {
  const out = new Set<string>();
  for (const [key, r] of Object.entries(resources)) {
    if (!key.startsWith('release-') || r.kind !== 'Release') continue;
    const name = ((r.metadata as JsonObject).annotations as Record<string, string>)['crossplane.io/external-name']!;
    const namespace = forProvider(r).namespace as string;
    for (const service of RELEASE_SERVICES[name] ?? []) out.add(`${service.split(':')[0]}.${namespace}:${service.split(':')[1]}`);
  }
  return out;
}

/** `service.namespace:port` of an in-cluster URL or host:port, or undefined for anything outside the cluster. */
function inClusterTarget(url: string): string | undefined {
  const m = /^(?:https?:\/\/)?([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)/.exec(url);
  return m === null ? undefined : `${m[1]}.${m[2]}:${m[3]}`;
}

/** What AWS reports for the composed workspace (the provider simulation of scripts/lib/providers.ts). */
function reportedWorkspace(resources: Resources, environment: string): { arn: string; prometheusEndpoint: string } | undefined {
  const workspace = resources['amp-workspace'];
  if (workspace === undefined || workspace.kind !== 'Workspace') return undefined;
  return environmentComputed(environment)('amp-workspace', workspace) as { arn: string; prometheusEndpoint: string };
}

function grafanaCloudConfig(environment: string): { prometheusUrl: string; lokiUrl: string; tracesEndpoint: string } | undefined {
  const data = readManifest(`environment-configs/${environment}.yaml`).data as { observability?: { grafanaCloud?: { prometheusUrl: string; lokiUrl: string; tracesEndpoint: string } } };
  return data.observability?.grafanaCloud;
}

/** Whether a URL is a sink this environment composes or configures. */
function sinkExists(url: string, resources: Resources, environment: string): boolean {
  const target = inClusterTarget(url);
  if (target !== undefined) return composedServices(resources).has(target);
  const workspace = reportedWorkspace(resources, environment);
  if (workspace !== undefined && url.startsWith(workspace.prometheusEndpoint)) return true;
  const cloud = grafanaCloudConfig(environment);
  return cloud !== undefined && [cloud.prometheusUrl, cloud.lokiUrl, cloud.tracesEndpoint].includes(url);
}

// ---- Alloy's configuration, parsed ---------------------------------------------------------

interface Component {
  id: string;
  type: string;
  body: string;
}

/** Top-level blocks `type "label" { ... }` of an Alloy configuration, by `type.label`. */
export function alloyComponents(config: string): Map<string, Component> {
  const out = new Map<string, Component>();
  const lines = config.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([a-z][a-z0-9_.]*) "([^"]+)" \{$/.exec(lines[i]!);
    if (head === null) continue;
    let depth = 0;
    const body: string[] = [];
    for (let j = i; j < lines.length; j++) {
      const line = lines[j]!;
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
      body.push(line);
      if (depth === 0) {
        i = j;
        break;
      }
    }
    if (depth !== 0) throw new Error(`unbalanced block ${head[1]} "${head[2]}"`);
    const id = `${head[1]}.${head[2]}`;
    if (out.has(id)) throw new Error(`component ${id} defined twice`);
    out.set(id, { id, type: head[1]!, body: body.slice(1).join('\n') });
  }
  return out;
}

/** Components a block sends to (forward_to, output): references ending in `.receiver` or `.input`. */
function downstream(component: Component): string[] {
  return [...component.body.matchAll(/\b([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\.(?:receiver|input)\b/g)].map((m) => m[1]!);
}

/** Every reference to another component's export (targets, output, handler), which must exist. */
function references(component: Component): string[] {
  return [...component.body.matchAll(/\b([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)\.(?:receiver|input|output|targets|handler)\b/g)].map((m) => m[1]!);
}

const SOURCES: Readonly<Record<string, 'metrics' | 'logs' | 'traces'>> = { 'prometheus.scrape': 'metrics', 'loki.source.kubernetes': 'logs', 'otelcol.receiver.otlp': 'traces' };
const SINKS: Readonly<Record<string, 'metrics' | 'logs' | 'traces'>> = { 'prometheus.remote_write': 'metrics', 'loki.write': 'logs', 'otelcol.exporter.otlp': 'traces' };

/** The endpoint a sink writes to: the `url` of its endpoint block, or the `endpoint` of its client block. */
function sinkEndpoint(component: Component): string | undefined {
  return (/\burl\s*=\s*"([^"]*)"/.exec(component.body) ?? /\bendpoint\s*=\s*"([^"]*)"/.exec(component.body))?.[1];
}

/** Every pipeline of an Alloy configuration, from each source to the sinks it ends at, or the problems on the way. */
export function alloyPipelines(config: string): { problems: string[]; sinks: { signal: string; from: string; sink: string; endpoint: string }[] } {
  const components = alloyComponents(config);
  const problems: string[] = [];
  const sinks: { signal: string; from: string; sink: string; endpoint: string }[] = [];
  for (const c of components.values()) {
    for (const ref of references(c)) if (!components.has(ref)) problems.push(`${c.id} refers to ${ref}, which is not defined`);
  }
  for (const source of [...components.values()].filter((c) => SOURCES[c.type] !== undefined)) {
    const signal = SOURCES[source.type]!;
    const walk = (c: Component, seen: ReadonlySet<string>): void => {
      const next = downstream(c).filter((id) => components.has(id));
      if (next.length === 0) {
        const kind = SINKS[c.type];
        if (kind === undefined) problems.push(`${source.id}: its pipeline stops at ${c.id}, which is not a sink`);
        else if (kind !== signal) problems.push(`${source.id}: ${signal} end at a ${kind} sink (${c.id})`);
        else sinks.push({ signal, from: source.id, sink: c.id, endpoint: sinkEndpoint(c) ?? '' });
        return;
      }
      for (const id of next) {
        if (seen.has(id)) problems.push(`${source.id}: cycle through ${id}`);
        else walk(components.get(id)!, new Set([...seen, id]));
      }
    };
    walk(source, new Set([source.id]));
  }
  return { problems, sinks };
}

// ---- Alloy's scrape targets, simulated ---------------------------------------------------------

interface RelabelRule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  action?: string;
  target_label?: string;
  replacement?: string;
}

/** The `rule` blocks of a `discovery.relabel` component, in order (values are Alloy string and list literals, JSON-compatible). */
export function relabelRules(config: string, id: string): RelabelRule[] {
  const component = alloyComponents(config).get(id);
  if (component === undefined) throw new Error(`no component ${id}`);
  return [...component.body.matchAll(/^\s*rule \{\n([\s\S]*?)\n\s*\}$/gm)].map((m) =>
    Object.fromEntries(
      m[1]!.split('\n').map((line) => {
        const attr = /^\s*([a-z_]+)\s*=\s*(.+)$/.exec(line);
        if (attr === null) throw new Error(`cannot read rule line ${line}`);
        return [attr[1]!, JSON.parse(attr[2]!) as unknown];
      }),
    ) as RelabelRule,
  );
}

/**
 * Prometheus' relabelling (keep, drop, replace; regexes fully anchored,
 * source values joined by `;`, `$n` expanded, an empty result deletes the
 * label), which Alloy's discovery.relabel runs. Undefined: the target is dropped.
 */
export function relabel(target: Readonly<Record<string, string>>, rules: readonly RelabelRule[]): Record<string, string> | undefined {
  const labels = { ...target };
  for (const rule of rules) {
    const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
    const match = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).exec(value);
    const action = rule.action ?? 'replace';
    if (action === 'keep' && match === null) return undefined;
    if (action === 'drop' && match !== null) return undefined;
    if (action === 'replace' && match !== null) {
      const result = (rule.replacement ?? '$1').replace(/\$(\d+)/g, (_, n: string) => match[Number(n)] ?? '');
      if (result === '') delete labels[rule.target_label!];
      else labels[rule.target_label!] = result;
    }
    if (!['keep', 'drop', 'replace'].includes(action)) throw new Error(`relabel action ${action} is not simulated`);
  }
  return labels;
}

interface Pod {
  namespace: string;
  name: string;
  ip: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: { name: string; init?: boolean; ports: { name?: string; port: number }[] }[];
}

const sanitise = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_');

/** What Kubernetes discovery (role pod) gives for a running pod: one target per declared port, one per container without ports. */
export function podTargets(pod: Pod): Record<string, string>[] {
  const common: Record<string, string> = {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_ip: pod.ip,
    __meta_kubernetes_pod_phase: 'Running',
    ...Object.fromEntries(Object.entries(pod.labels ?? {}).map(([k, v]) => [`__meta_kubernetes_pod_label_${sanitise(k)}`, v])),
    ...Object.fromEntries(Object.entries(pod.annotations ?? {}).map(([k, v]) => [`__meta_kubernetes_pod_annotation_${sanitise(k)}`, v])),
  };
  const host = pod.ip.includes(':') ? `[${pod.ip}]` : pod.ip;
  return pod.containers.flatMap((c) => {
    const container = { ...common, __meta_kubernetes_pod_container_name: c.name, __meta_kubernetes_pod_container_init: String(c.init === true) };
    if (c.ports.length === 0) return [{ ...container, __address__: pod.ip }];
    return c.ports.map((p) => ({ ...container, __address__: `${host}:${p.port}`, __meta_kubernetes_pod_container_port_number: String(p.port), __meta_kubernetes_pod_container_port_name: p.name ?? '' }));
  });
}

/**
 * What one `prometheus.scrape` scrapes from a relabelled component's output:
 * the scrape defaults where relabelling set none, `__meta_*` gone, and
 * identical targets kept once (as Prometheus' scrape pool does).
 */
export function scrapedUrls(config: string, relabelId: string, targets: Record<string, string>[]): { url: string; labels: Record<string, string> }[] {
  const rules = relabelRules(config, relabelId);
  const seen = new Map<string, { url: string; labels: Record<string, string> }>();
  for (const target of targets) {
    const out = relabel(target, rules);
    if (out === undefined) continue;
    const labels = Object.fromEntries(Object.entries({ __scheme__: 'http', __metrics_path__: '/metrics', ...out }).filter(([k]) => !k.startsWith('__meta_')).sort(([a], [b]) => a.localeCompare(b)));
    const url = `${labels.__scheme__}://${labels.__address__}${labels.__metrics_path__}`;
    seen.set(JSON.stringify(labels), { url, labels: Object.fromEntries(Object.entries(labels).filter(([k]) => !k.startsWith('__'))) });
  }
  return [...seen.values()];
}

// ---- Grafana's data sources ------------------------------------------------------------------

interface DataSource {
  uid: string;
  type: string;
  url: string;
  jsonData?: JsonObject;
}

/** The data sources of the Grafana this environment runs, or undefined where none runs (Grafana Cloud). */
function grafanaDataSources(resources: Resources): DataSource[] | undefined {
  const own = resources['release-grafana'];
  if (own !== undefined) {
    return ((forProvider(own).values as JsonObject).datasources as { 'datasources.yaml': { datasources: DataSource[] } })['datasources.yaml'].datasources;
  }
  const stack = resources['release-kube-prometheus-stack'];
  if (stack === undefined) return undefined;
  const grafana = (forProvider(stack).values as JsonObject).grafana as { additionalDataSources: DataSource[]; sidecar: { datasources: { uid: string; exemplarTraceIdDestinations: { datasourceUid: string } } } };
  // The chart's own Prometheus data source: its Prometheus Service, with the exemplar link set in values.
  const prometheus: DataSource = {
    uid: grafana.sidecar.datasources.uid,
    type: 'prometheus',
    url: `http://kube-prometheus-stack-prometheus.${forProvider(stack).namespace as string}.svc:9090`,
    jsonData: { exemplarTraceIdDestinations: [grafana.sidecar.datasources.exemplarTraceIdDestinations] },
  };
  return [prometheus, ...grafana.additionalDataSources];
}

/** Every `datasourceUid` a data source's links name. */
function linkedUids(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(linkedUids);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as JsonObject).flatMap(([k, v]) => (k === 'datasourceUid' && typeof v === 'string' ? [v] : linkedUids(v)));
}

// ---- roles ----------------------------------------------------------------------------------

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: JsonObject;
}

function statementsOf(resources: Resources, key: string): Statement[] | undefined {
  const role = resources[key];
  if (role === undefined) return undefined;
  const inline = (forProvider(role).inlinePolicy ?? []) as { policy: string }[];
  return inline.flatMap((p) => (JSON.parse(p.policy) as { Statement: Statement[] }).Statement);
}

const list = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : [...v]).sort();

// ---- the tests --------------------------------------------------------------------------------

describe.each(MODES)('observability, mode $mode ($reason)', ({ mode, example, environment }) => {
  let resources: Resources;
  beforeAll(() => {
    resources = settledExample(example);
  });

  it('renders to its fixpoint with every manifest valid against its schema, chart and the security checks', () => {
    const problems = settledProblems(resources);
    expect(problems.schema).toEqual([]);
    expect(problems.charts).toEqual([]);
    expect(problems.security).toEqual([]);
    // The first call compiles every upstream schema.
  }, 180_000);

  it('has an Alloy pipeline for metrics, logs and traces, each ending at a sink that exists', () => {
    const config = ((forProvider(resources['release-alloy']).values as JsonObject).alloy as { configMap: { content: string } }).configMap.content;
    const { problems, sinks } = alloyPipelines(config);
    expect(problems).toEqual([]);
    expect([...new Set(sinks.map((s) => s.signal))].sort()).toEqual(['logs', 'metrics', 'traces']);
    // Container and kubelet metrics: scraped by Alloy where no in-cluster Prometheus does.
    const nodeSources = sinks.filter((s) => ['prometheus.scrape.kubelet', 'prometheus.scrape.cadvisor'].includes(s.from)).map((s) => s.from);
    expect(nodeSources).toEqual(mode === 'in-cluster' || mode === 'on-prem' ? [] : ['prometheus.scrape.kubelet', 'prometheus.scrape.cadvisor']);
    for (const sink of sinks) expect(sinkExists(sink.endpoint, resources, environment), `${sink.sink} → ${sink.endpoint}`).toBe(true);
    const byEndpoint = Object.fromEntries(sinks.map((s) => [s.signal, s.endpoint]));
    if (mode === 'grafana-cloud') {
      const cloud = grafanaCloudConfig(environment)!;
      expect(byEndpoint).toEqual({ metrics: cloud.prometheusUrl, logs: cloud.lokiUrl, traces: cloud.tracesEndpoint });
    } else {
      expect(inClusterTarget(byEndpoint.logs!)).toBe('loki.monitoring:3100');
      expect(inClusterTarget(byEndpoint.traces!)).toBe('tempo.monitoring:4317');
      if (mode === 'aws-managed') expect(byEndpoint.metrics).toBe(`${reportedWorkspace(resources, environment)!.prometheusEndpoint}api/v1/remote_write`);
      else expect(inClusterTarget(byEndpoint.metrics!)).toBe('kube-prometheus-stack-prometheus.monitoring:9090');
    }
    // SigV4 to the workspace, basic auth to Grafana Cloud, and the credentials only ever from the environment.
    expect(config.includes('sigv4 {')).toBe(mode === 'aws-managed');
    expect(config.includes('basic_auth {')).toBe(mode === 'grafana-cloud');
    expect(config).not.toMatch(/password\s*=\s*"/);
  });

  it("receives OTLP on 4317 and 4318 on Alloy's Service, where the mesh and the gateways send their spans at the configured share", () => {
    const values = forProvider(resources['release-alloy']).values as { alloy: { configMap: { content: string }; extraPorts: { port: number }[] } };
    expect(values.alloy.extraPorts.map((p) => p.port)).toEqual([4317, 4318]);
    expect(values.alloy.configMap.content).toContain('endpoint = "0.0.0.0:4317"');
    expect(values.alloy.configMap.content).toContain('endpoint = "0.0.0.0:4318"');
    const data = readManifest(`environment-configs/${environment}.yaml`).data as { observability?: { tracing?: { samplingPercent: number } } };
    const percent = data.observability?.tracing?.samplingPercent ?? 10;
    const services = composedServices(resources);
    const istiod = forProvider(resources['release-istiod']).values as { meshConfig: { extensionProviders: { name: string; opentelemetry: { service: string; port: number } }[] } };
    const [provider] = istiod.meshConfig.extensionProviders;
    expect(services.has(inClusterTarget(`${provider!.opentelemetry.service}:${provider!.opentelemetry.port}`)!)).toBe(true);
    const telemetry = manifestOf(resources, 'object-mesh-policies-tracing') as { spec: { tracing: { providers: { name: string }[]; randomSamplingPercentage: number }[] } };
    expect(telemetry.spec.tracing).toEqual([{ providers: [{ name: provider!.name }], randomSamplingPercentage: percent }]);
    for (const visibility of ['public', 'internal']) {
      const tracing = (manifestOf(resources, `object-envoy-gateway-proxy-${visibility}`) as { spec: { telemetry: { tracing: { samplingFraction: { numerator: number; denominator: number }; provider: { backendRefs: { name: string; namespace: string; port: number }[] } } } } }).spec.telemetry.tracing;
      expect(tracing.samplingFraction.numerator / tracing.samplingFraction.denominator).toBeCloseTo(percent / 100, 6);
      for (const ref of tracing.provider.backendRefs) expect(services.has(`${ref.name}.${ref.namespace}:${ref.port}`), `${visibility}: ${ref.name}`).toBe(true);
    }
  });

  it('runs Grafana only where it keeps data in the cluster, with data sources prometheus, loki and tempo that point at composed services or the workspace, linked to each other', () => {
    const sources = grafanaDataSources(resources);
    if (mode === 'grafana-cloud') {
      expect(sources).toBeUndefined();
      expect(resources['release-tempo']).toBeUndefined();
      expect(resources['release-loki']).toBeUndefined();
      return;
    }
    expect(sources!.map((s) => s.uid).sort()).toEqual(['loki', 'prometheus', 'tempo']);
    for (const source of sources!) expect(sinkExists(source.url, resources, environment), `${source.uid} → ${source.url}`).toBe(true);
    const uids = new Set(sources!.map((s) => s.uid));
    for (const source of sources!) for (const uid of linkedUids(source.jsonData)) expect(uids.has(uid), `${source.uid} links to ${uid}`).toBe(true);
    const by = Object.fromEntries(sources!.map((s) => [s.uid, s]));
    // Traces to logs, logs to traces, exemplars to traces.
    expect(linkedUids((by.tempo!.jsonData as JsonObject).tracesToLogsV2)).toEqual(['loki']);
    expect(linkedUids((by.loki!.jsonData as JsonObject).derivedFields)).toEqual(['tempo']);
    expect(linkedUids((by.prometheus!.jsonData as JsonObject).exemplarTraceIdDestinations)).toEqual(['tempo']);
    // The derived field finds the trace id in the usual log shapes, and its link survives Grafana's `$` expansion.
    const [field] = (by.loki!.jsonData as { derivedFields: { matcherRegex: string; url: string }[] }).derivedFields;
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    for (const line of [`level=info trace_id=${id} msg=done`, `{"traceId":"${id}","msg":"done"}`, `traceID=${id}`]) expect(new RegExp(field!.matcherRegex).exec(line)?.[1], line).toBe(id);
    expect(field!.url).toBe('$${__value.raw}');
    if (mode === 'aws-managed') {
      expect(by.prometheus!.type).toBe('grafana-amazonprometheus-datasource');
      expect(by.prometheus!.jsonData).toMatchObject({ sigV4Auth: true, sigV4AuthType: 'default' });
      expect(by.prometheus!.url).toBe(reportedWorkspace(resources, environment)!.prometheusEndpoint);
    }
  });

  it("loads dashboards from ConfigMaps labelled grafana_dashboard: \"1\" in the monitoring namespace, and serves Grafana on the internal Gateway's own listener", () => {
    if (mode === 'grafana-cloud') return;
    const values = forProvider(resources[mode === 'aws-managed' ? 'release-grafana' : 'release-kube-prometheus-stack']).values as JsonObject;
    const grafana = (mode === 'aws-managed' ? values : values.grafana) as { sidecar: { dashboards: JsonObject } };
    expect(grafana.sidecar.dashboards).toEqual({ enabled: true, label: 'grafana_dashboard', labelValue: '1', searchNamespace: 'monitoring' });
    const route = manifestOf(resources, 'object-grafana-route-route') as { metadata: { namespace: string }; spec: { hostnames: string[]; parentRefs: { name: string; sectionName: string }[]; rules: { backendRefs: { name: string; port: number }[] }[] } };
    const backend = route.spec.rules[0]!.backendRefs[0]!;
    expect(composedServices(resources).has(`${backend.name}.${route.metadata.namespace}:${backend.port}`)).toBe(true);
    const gateway = manifestOf(resources, 'object-envoy-gateway-internal') as { metadata: { name: string }; spec: { listeners: { name: string; hostname: string; tls?: JsonObject; allowedRoutes: JsonObject }[] } };
    expect(route.spec.parentRefs[0]!.name).toBe(gateway.metadata.name);
    const listener = gateway.spec.listeners.find((l) => l.name === route.spec.parentRefs[0]!.sectionName);
    expect(listener?.hostname).toBe(route.spec.hostnames[0]);
    expect(listener?.tls).toMatchObject({ mode: 'Terminate' });
    expect(listener?.allowedRoutes).toMatchObject({ namespaces: { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } } });
    // The public Gateway never serves Grafana.
    const publicGateway = manifestOf(resources, 'object-envoy-gateway-public') as { spec: { listeners: { name: string }[] } };
    expect(publicGateway.spec.listeners.map((l) => l.name)).not.toContain('grafana');
  });

  it('scrapes every annotated pod once, at the annotated port on its IP and the annotated path: the gateways, the mesh and the operators', () => {
    const values = (addon: string) => forProvider(resources[`release-${addon}`]).values as JsonObject;
    const config = ((values('alloy').alloy as JsonObject).configMap as { content: string }).content;
    const operator = mode === 'in-cluster' || mode === 'on-prem';
    const ip = '10.0.3.7';
    const cases: { reason: string; pod: Pod; want: string[] }[] = [
      {
        reason: "an Envoy Gateway proxy: every port it declares, and the shutdown manager's container, become the one stats endpoint its annotations name (envoyproxy/gateway v1.9.0 resource_provider.go)",
        pod: {
          namespace: 'envoy-gateway-system',
          name: 'envoy-public-7d9f-abcde',
          ip,
          annotations: { 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/scrape': 'true', 'prometheus.io/port': '19001' },
          containers: [
            { name: 'envoy', ports: [{ name: 'http-10080', port: 10080 }, { name: 'https-10443', port: 10443 }, { name: 'metrics', port: 19001 }, { name: 'readiness', port: 19003 }] },
            { name: 'shutdown-manager', ports: [] },
          ],
        },
        want: [`http://${ip}:19001/stats/prometheus`],
      },
      {
        reason: 'a waypoint: pilot-agent merges its stats on 15020 (the waypoint template of istio 1.30.3)',
        pod: {
          namespace: 'forge-api',
          name: 'waypoint-5c6d-xyz12',
          ip,
          annotations: { 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' },
          containers: [{ name: 'istio-proxy', ports: [{ name: 'metrics', port: 15020 }, { name: 'status-port', port: 15021 }, { name: 'http-envoy-prom', port: 15090 }] }],
        },
        want: [`http://${ip}:15020/stats/prometheus`],
      },
      {
        reason: 'ztunnel: port 15020, no path annotation, so /metrics (the ztunnel chart\'s podAnnotations)',
        pod: { namespace: 'istio-system', name: 'ztunnel-q7x2k', ip, annotations: { 'prometheus.io/port': '15020', 'prometheus.io/scrape': 'true' }, containers: [{ name: 'istio-proxy', ports: [{ name: 'ztunnel-stats', port: 15020 }] }] },
        want: [`http://${ip}:15020/metrics`],
      },
      {
        reason: 'istiod: its monitoring port 15014 out of five',
        pod: {
          namespace: 'istio-system',
          name: 'istiod-6b8f-k2l9m',
          ip,
          annotations: { 'prometheus.io/port': '15014', 'prometheus.io/scrape': 'true' },
          containers: [{ name: 'discovery', ports: [{ port: 8080 }, { port: 15010 }, { port: 15012 }, { port: 15017 }, { port: 15014 }] }],
        },
        want: [`http://${ip}:15014/metrics`],
      },
      {
        reason: 'the KEDA operator: annotated by the package where no Prometheus Operator takes its ServiceMonitor, else not scraped by Alloy at all',
        pod: { namespace: 'keda', name: 'keda-operator-5f4-abc12', ip, annotations: ((values('keda').podAnnotations as JsonObject | undefined)?.keda ?? {}) as Record<string, string>, containers: [{ name: 'keda-operator', ports: [{ name: 'metrics', port: 8080 }, { name: 'metricsservice', port: 9666 }] }] },
        want: operator ? [] : [`http://${ip}:8080/metrics`],
      },
      {
        reason: 'an IPv6 pod: the address is bracketed',
        pod: { namespace: 'envoy-gateway-system', name: 'envoy-internal-1', ip: 'fd00:ec2::5', annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '19001', 'prometheus.io/path': '/stats/prometheus' }, containers: [{ name: 'envoy', ports: [{ port: 19001 }, { port: 19003 }] }] },
        want: ['http://[fd00:ec2::5]:19001/stats/prometheus'],
      },
      {
        reason: 'a pod that asks to be scraped without naming a port: each port it declares, at /metrics (the Prometheus convention)',
        pod: { namespace: 'forge-api', name: 'api-1', ip, annotations: { 'prometheus.io/scrape': 'true' }, containers: [{ name: 'api', ports: [{ port: 8080 }, { port: 9090 }] }] },
        want: [`http://${ip}:8080/metrics`, `http://${ip}:9090/metrics`],
      },
      {
        reason: 'a pod that does not ask: nothing',
        pod: { namespace: 'forge-api', name: 'api-2', ip, containers: [{ name: 'api', ports: [{ port: 8080 }] }] },
        want: [],
      },
      {
        reason: 'kube-state-metrics is not annotated: the pods job leaves it to its own job, which keeps its labels',
        pod: { namespace: 'monitoring', name: 'kube-state-metrics-6d-abc', ip, labels: { 'app.kubernetes.io/name': 'kube-state-metrics' }, containers: [{ name: 'kube-state-metrics', ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 8081 }] }] },
        want: [],
      },
    ];
    for (const c of cases) {
      const scraped = scrapedUrls(config, 'discovery.relabel.scrape', podTargets(c.pod));
      expect(scraped.map((t) => t.url).sort(), c.reason).toEqual(c.want);
      for (const t of scraped) expect(t.labels, c.reason).toEqual({ namespace: c.pod.namespace, pod: c.pod.name });
    }
    // An init container of a pod that asks: nothing (it has finished once the pod runs).
    const initOnly: Pod = { namespace: 'forge-api', name: 'api-3', ip, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' }, containers: [{ name: 'migrate', init: true, ports: [] }] };
    expect(scrapedUrls(config, 'discovery.relabel.scrape', podTargets(initOnly))).toEqual([]);

    // kube-state-metrics: the package's own (its pod label and port) where Alloy collects, once, keeping the labels that name
    // the objects; where kube-prometheus-stack runs its own, its monitor scrapes it and Alloy has no such job.
    const ksm = cases.at(-1)!.pod;
    if (operator) {
      expect(config).not.toContain('discovery.relabel "kube_state_metrics"');
      expect(resources['release-kube-state-metrics']).toBeUndefined();
    } else {
      expect(scrapedUrls(config, 'discovery.relabel.kube_state_metrics', podTargets(ksm)).map((t) => t.url)).toEqual([`http://${ip}:8080/metrics`]);
      expect(scrapedUrls(config, 'discovery.relabel.kube_state_metrics', podTargets({ ...ksm, namespace: 'forge-api' }))).toEqual([]);
      expect(alloyComponents(config).get('prometheus.scrape.kube_state_metrics')!.body).toMatch(/honor_labels\s*=\s*true/);
      expect(forProvider(resources['release-kube-state-metrics']).namespace).toBe(ksm.namespace);
    }
    // The general job never takes the scraped series' own namespace and pod: a workload cannot write under another's name.
    expect(alloyComponents(config).get('prometheus.scrape.pods')!.body).not.toContain('honor_labels');
  });

  it('lets the scrapers reach the mesh: the metrics ports on meshed workloads; the proxies the package scrapes outside them are not captured', () => {
    const policy = manifestOf(resources, 'object-mesh-policies-allow-metrics-scrapers') as { spec: { rules: { from: { source: { principals: string[] } }[]; to: { operation: { ports: string[] } }[] }[] } };
    expect(policy.spec.rules[0]!.from[0]!.source.principals).toContain('cluster.local/ns/alloy/sa/alloy');
    // Waypoints, ztunnel and istiod carry istio.io/dataplane-mode: none (istio 1.30.3 templates) and the gateways'
    // namespace admits everything (allow-gateways): none of 15020, 15014 or 19001 needs a port in this policy.
    expect(policy.spec.rules[0]!.to[0]!.operation.ports).toEqual(['8080', '9090', '9091', '9100']);
    const gateways = manifestOf(resources, 'object-mesh-policies-allow-gateways') as { metadata: { namespace: string }; spec: { action: string; rules: JsonObject[] } };
    expect(gateways).toMatchObject({ metadata: { namespace: 'envoy-gateway-system' }, spec: { action: 'ALLOW', rules: [{}] } });
  });

  it('gives each component a role that allows exactly what it calls, on exactly its resources', () => {
    const alloy = statementsOf(resources, 'role-alloy');
    const grafana = statementsOf(resources, 'role-grafana');
    const tempo = statementsOf(resources, 'role-tempo');
    if (mode === 'on-prem') {
      expect(Object.keys(resources).filter((k) => k.startsWith('role-'))).toEqual([]);
      return;
    }
    if (mode !== 'aws-managed') {
      expect([alloy, grafana, resources['amp-workspace']]).toEqual([undefined, undefined, undefined]);
    } else {
      const arn = reportedWorkspace(resources, environment)!.arn;
      expect(alloy!.map((s) => ({ Effect: s.Effect, Action: list(s.Action), Resource: s.Resource }))).toEqual([{ Effect: 'Allow', Action: ['aps:RemoteWrite'], Resource: arn }]);
      expect(grafana!.map((s) => ({ Effect: s.Effect, Action: list(s.Action), Resource: s.Resource }))).toEqual([
        { Effect: 'Allow', Action: ['aps:GetLabels', 'aps:GetMetricMetadata', 'aps:GetSeries', 'aps:QueryMetrics'], Resource: arn },
      ]);
    }
    if (mode === 'grafana-cloud') {
      expect(tempo).toBeUndefined();
      return;
    }
    const bucket = `arn:aws:s3:::${((resources['bucket-logs']!.metadata as JsonObject).annotations as Record<string, string>)['crossplane.io/external-name']}`;
    const s3 = tempo!.filter((s) => list(s.Action).some((a) => a.startsWith('s3:')));
    expect(s3.map((s) => ({ Action: list(s.Action), Resource: s.Resource, Condition: s.Condition }))).toEqual([
      { Action: ['s3:ListBucket'], Resource: bucket, Condition: { StringLike: { 's3:prefix': ['tempo/*', 'tempo'] } } },
      { Action: ['s3:DeleteObject', 's3:GetObject', 's3:GetObjectTagging', 's3:PutObject', 's3:PutObjectTagging'], Resource: `${bucket}/tempo/*`, Condition: undefined },
    ]);
    // Tempo's values write under the same prefix of the same bucket.
    const storage = ((forProvider(resources['release-tempo']).values as JsonObject).tempo as { storage: { trace: { s3: { bucket: string; prefix: string } } } }).storage.trace.s3;
    expect(`arn:aws:s3:::${storage.bucket}`).toBe(bucket);
    expect(storage.prefix).toBe('tempo');
  });
});

describe('the workspace of the AWS-managed mode', () => {
  it('is encrypted with the environment key, logs to its own log group, and is kept when prod is deleted', () => {
    const prod = settledExample('prod');
    const workspace = prod['amp-workspace']!;
    const keyArn = environmentComputed('prod')('kms-key', prod['kms-key']!) as { arn: string };
    expect(forProvider(workspace).kmsKeyArn).toBe(keyArn.arn);
    const logGroup = ((prod['log-group-amp']!.metadata as JsonObject).annotations as Record<string, string>)['crossplane.io/external-name'];
    expect(logGroup).toBe('/aws/vendedlogs/prometheus/prod-cluster');
    expect((forProvider(workspace).loggingConfiguration as { logGroupArn: string }).logGroupArn).toMatch(new RegExp(`:log-group:${logGroup}:\\*$`));
    expect((workspace.spec as { managementPolicies?: string[] }).managementPolicies).not.toContain('Delete');
  });
});

describe('choosing a mode', () => {
  it.each([
    { reason: 'AWS-managed needs AWS: refused on-prem', example: 'onprem', overrides: { observability: { mode: 'aws-managed' } }, error: /cannot use data\.observability\.mode aws-managed on-prem/ },
    { reason: 'Grafana Cloud needs its endpoints', example: 'dev', overrides: { observability: { mode: 'grafana-cloud' } }, error: /cannot use data\.observability\.mode grafana-cloud without data\.observability\.grafanaCloud/ },
  ])('$reason', ({ example, overrides, error }) => {
    expect(() => settledExample(example, overrides)).toThrow(error);
  });

  it('any AWS environment can switch to aws-managed by override, and its pipelines still end at composed sinks', () => {
    const dev = settledExample('dev', { observability: { mode: 'aws-managed' } });
    const config = ((forProvider(dev['release-alloy']).values as JsonObject).alloy as { configMap: { content: string } }).configMap.content;
    const { problems, sinks } = alloyPipelines(config);
    expect(problems).toEqual([]);
    for (const sink of sinks) expect(sinkExists(sink.endpoint, dev, 'dev'), sink.endpoint).toBe(true);
    expect(dev['release-kube-prometheus-stack']).toBeUndefined();
    expect(dev['release-grafana']).toBeDefined();
  });
});

describe('the Alloy pipeline check catches its class of defect', () => {
  const good = `otelcol.receiver.otlp "default" {
  output {
    traces = [otelcol.processor.batch.traces.input]
  }
}

otelcol.processor.batch "traces" {
  output {
    traces = [otelcol.exporter.otlp.traces.input]
  }
}

otelcol.exporter.otlp "traces" {
  client {
    endpoint = "tempo.monitoring.svc:4317"
  }
}
`;
  it.each([
    { reason: 'a pipeline that ends at its exporter passes', config: good, want: [] as string[] },
    { reason: 'a reference to a component that is not defined', config: good.replace('otelcol.exporter.otlp.traces.input', 'otelcol.exporter.otlp.tempo.input'), want: ['otelcol.processor.batch.traces refers to otelcol.exporter.otlp.tempo, which is not defined', 'otelcol.receiver.otlp.default: its pipeline stops at otelcol.processor.batch.traces, which is not a sink'] },
    { reason: 'a pipeline that stops at a processor', config: good.replace(/otelcol\.exporter\.otlp "traces" \{[\s\S]*$/, '').replace('traces = [otelcol.exporter.otlp.traces.input]', 'traces = []'), want: ['otelcol.receiver.otlp.default: its pipeline stops at otelcol.processor.batch.traces, which is not a sink'] },
  ])('$reason', ({ config, want }) => {
    expect(alloyPipelines(config).problems).toEqual(want);
  });

  it('a sink whose endpoint no composed Service, workspace or Grafana Cloud URL answers fails', () => {
    const dev = settledExample('dev');
    expect(sinkExists('http://prometheus.monitoring.svc:9090/api/v1/write', dev, 'dev')).toBe(false);
    expect(sinkExists('https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-dev/api/v1/remote_write', dev, 'dev')).toBe(false);
    expect(sinkExists('http://loki.monitoring.svc:3100/loki/api/v1/push', dev, 'dev')).toBe(true);
  });
});
