import type { EnvironmentContext } from '../context.js';
import type { AddonDefinition } from './addon.js';
import { DASHBOARD_LABEL, DASHBOARD_SIDECAR } from './grafana.js';
import { meshIsIstio } from './istio.js';
import { isPlatformEnvironment } from './nats.js';
import { storesInCluster } from './observability-mode.js';
import gateways from './dashboards/gateways.json' with { type: 'json' };
import mesh from './dashboards/mesh.json' with { type: 'json' };
import namespaces from './dashboards/namespaces.json' with { type: 'json' };
import operators from './dashboards/operators.json' with { type: 'json' };
import pipeline from './dashboards/pipeline.json' with { type: 'json' };

/** The template variable of the operators dashboard the package fills with this environment's operator namespaces. */
export const PLATFORM_NAMESPACES_VARIABLE = 'platform_namespaces';

/** The parts of Grafana's dashboard model this module reads; the JSON files carry the rest. */
export interface GrafanaDashboard {
  uid: string;
  title: string;
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
  [key: string]: unknown;
}

/** A dashboard the package ships: its JSON file and where it applies (where what it reads is installed). */
export interface ShippedDashboard {
  /** File name under addons/dashboards/, without `.json`; also the ConfigMap's data key and object key. */
  name: string;
  dashboard: GrafanaDashboard;
  applies(ctx: EnvironmentContext): boolean;
}

/** Every dashboard the package ships, in the order the ConfigMaps are composed. */
export const DASHBOARDS: readonly ShippedDashboard[] = [
  // NATS runs only in role: platform environments; KEDA everywhere, but the pipeline is NATS's.
  { name: 'pipeline', dashboard: pipeline, applies: isPlatformEnvironment },
  { name: 'namespaces', dashboard: namespaces, applies: () => true },
  { name: 'gateways', dashboard: gateways, applies: () => true },
  { name: 'mesh', dashboard: mesh, applies: meshIsIstio },
  { name: 'operators', dashboard: operators, applies: () => true },
];

/**
 * Whether Grafana runs in the cluster, with the data source uids the
 * dashboards name (`prometheus`, `loki`, `tempo`; grafana.ts
 * DATA_SOURCE_UIDS): kube-prometheus-stack's in the in-cluster mode, the
 * package's own in the aws-managed mode. Not in Grafana Cloud, whose users
 * import the same JSON files themselves.
 */
export function grafanaInCluster(ctx: EnvironmentContext): boolean {
  return storesInCluster(ctx);
}

/** A regex alternation of namespaces (DNS labels: nothing in them needs escaping). */
function alternation(names: Iterable<string>): string {
  return [...new Set(names)].sort().join('|');
}

/** The dashboard as this environment gets it: the operators dashboard scoped to the namespaces of the add-ons it installs. */
function forEnvironment(dashboard: GrafanaDashboard, operatorNamespaces: string): GrafanaDashboard {
  const list = dashboard.templating.list.map((variable) => (variable.name === PLATFORM_NAMESPACES_VARIABLE ? { ...variable, query: operatorNamespaces } : variable));
  return { ...dashboard, templating: { ...dashboard.templating, list } };
}

/**
 * The ConfigMap Grafana's sidecar loads a dashboard from: in the namespace
 * the sidecar searches, with the label it loads by (grafana.ts
 * DASHBOARD_SIDECAR, the same for both Grafanas), one JSON file named after
 * the dashboard.
 */
export function dashboardConfigMap(shipped: ShippedDashboard, dashboard: GrafanaDashboard): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `dashboard-${shipped.name}`, namespace: DASHBOARD_SIDECAR.searchNamespace, labels: { [DASHBOARD_LABEL.name]: DASHBOARD_LABEL.value } },
    data: { [`${shipped.name}.json`]: JSON.stringify(dashboard) },
  };
}

/**
 * The package's Grafana dashboards, as ConfigMaps Grafana loads: pipeline and
 * workers (NATS JetStream, KEDA), resources by namespace, gateways, the mesh
 * and the platform's operators, each where what it reads is installed.
 * `releaseNamespaces` gives the namespaces of the releases this environment
 * installs (index.ts passes them; this module cannot import the add-on list
 * it is part of).
 */
export function dashboardsAddon(releaseNamespaces: (ctx: EnvironmentContext) => Iterable<string>): AddonDefinition {
  return {
    name: 'dashboards',
    enabled: grafanaInCluster,
    // The Grafana whose sidecar loads them (whichever this mode installs; the other is not waited for),
    // and the monitoring namespace they go into.
    dependsOn: ['kube-prometheus-stack', 'grafana'],
    objects(ctx) {
      const operatorNamespaces = alternation(releaseNamespaces(ctx));
      return Object.fromEntries(DASHBOARDS.filter((d) => d.applies(ctx)).map((d) => [d.name, dashboardConfigMap(d, forEnvironment(d.dashboard, operatorNamespaces))]));
    },
  };
}
