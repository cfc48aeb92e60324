import type { EnvironmentContext } from '../context.js';
import { OTLP_RECEIVER, prometheusInCluster, samplingPercent } from './observability-mode.js';
import { MONITORING_NAMESPACE } from './onprem-secrets.js';
import { CRITICAL_ADDONS_TOLERATION, highlyAvailable, replicasOf, SYSTEM_NODE_SELECTOR, type AddonDefinition } from './addon.js';

/** The mesh's tracing provider (istiod's meshConfig extensionProviders): Alloy's OTLP gRPC receiver. */
export const MESH_TRACING_PROVIDER = 'alloy-otlp';

/** Istio's root namespace: policies here apply to the whole mesh. */
export const ISTIO_NAMESPACE = 'istio-system';

/** Trust domain of the mesh: principals are `<trustDomain>/ns/<namespace>/sa/<name>`. */
export const MESH_TRUST_DOMAIN = 'cluster.local';

/**
 * Namespace of the Envoy Gateway proxies (the chart's default, where its
 * Gateways' Envoy deployments run unless the controller is told otherwise).
 */
export const GATEWAY_NAMESPACE = 'envoy-gateway-system';

/** Istio ambient runs unless the environment chose Cilium as its mesh instead (AWS only: on-prem the cluster's own CNI stays, Istio chains after it). */
export function meshIsIstio(ctx: EnvironmentContext): boolean {
  return ctx.provider !== 'aws' || !ctx.config.features.cilium;
}

/**
 * The metrics scrapers: Alloy (every environment) and the in-cluster
 * Prometheus. Their pods join the ambient mesh (AMBIENT_POD_LABELS), so their
 * connections carry these identities, which the mesh-wide policy admits on
 * METRICS_PORTS. Their add-ons set these service account names.
 */
export const METRICS_SCRAPERS = [
  { namespace: 'alloy', name: 'alloy', selector: { 'app.kubernetes.io/name': 'alloy' } },
  { namespace: MONITORING_NAMESPACE, name: 'prometheus', selector: { 'app.kubernetes.io/name': 'prometheus' } },
] as const;

/**
 * Ports the scrapers may reach on every mesh workload: the conventional
 * metrics ports (Prometheus exporters 9090 to 9100, and 8080 which many
 * controllers and apps serve /metrics on). L4 policy cannot see paths: a
 * scraper reaching 8080 reaches whatever listens there. The mesh's own
 * proxies need no port here: waypoints (15020), ztunnel (15020) and istiod
 * (15014) run with `istio.io/dataplane-mode: none` (Istio's templates), so
 * ztunnel enforces nothing on their ports, and the gateways' namespace
 * admits everything (allow-gateways), Envoy's 19001 included.
 */
export const METRICS_PORTS = ['8080', '9090', '9091', '9100'] as const;

/** Pod label that puts one pod (here: a scraper) in the ambient mesh. */
export const AMBIENT_POD_LABELS = { 'istio.io/dataplane-mode': 'ambient' } as const;

/** Every node runs the CNI agent and ztunnel, whatever its taints (Karpenter pools included). */
const EVERY_NODE = [{ operator: 'Exists' }];

/**
 * The Istio CRDs and cluster-wide resources; the first of the four charts.
 * Each chart gets the ambient profile as global.profile, which the charts
 * merge like a top-level `profile` (the catalog lists only global).
 */
export const istioBase: AddonDefinition = {
  name: 'istio-base',
  chart: { repository: 'https://istio-release.storage.googleapis.com/charts', chart: 'base', version: '1.30.3' },
  enabled: meshIsIstio,
  release: () => ({ chart: 'istio-base', namespace: ISTIO_NAMESPACE, releaseName: 'istio-base', values: { global: { profile: 'ambient' }, defaultRevision: 'default' } }),
};

/**
 * istiod with the ambient profile, and the mesh-wide default deny: an empty
 * ALLOW-nothing policy in the root namespace, so every workload in the mesh
 * takes only what an AuthorizationPolicy admits (Network composes those for
 * project services). The gateways' namespace is admitted as a whole: traffic
 * there comes from the load balancers, outside the mesh, and the Envoy
 * Gateway controller there serves its proxies and the API server.
 */
export const istiod: AddonDefinition = {
  name: 'istiod',
  chart: { repository: 'https://istio-release.storage.googleapis.com/charts', chart: 'istiod', version: '1.30.3' },
  enabled: meshIsIstio,
  dependsOn: ['istio-base'],
  release(ctx) {
    const replicas = replicasOf(ctx, 'istiod');
    return {
      chart: 'istiod',
      namespace: ISTIO_NAMESPACE,
      values: {
        // A fixed replica count: the HPA would scale the control plane down to one in prod.
        autoscaleEnabled: false,
        replicaCount: replicas,
        ...(highlyAvailable(ctx, 'istiod') ? { pdb: { minAvailable: 1 } } : {}),
        resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '2Gi' } },
        nodeSelector: SYSTEM_NODE_SELECTOR,
        tolerations: [CRITICAL_ADDONS_TOLERATION],
        // Spans of the waypoints (L7) go to Alloy over OTLP; the Telemetry in meshPolicies turns tracing on mesh-wide.
        meshConfig: { trustDomain: MESH_TRUST_DOMAIN, extensionProviders: [{ name: MESH_TRACING_PROVIDER, opentelemetry: { service: OTLP_RECEIVER.host, port: OTLP_RECEIVER.grpcPort } }] },
        // Sends dry-run policies (Network spec.enforcement: audit) to ztunnel, which logs instead of enforcing them.
        // Off by default in Istio because a ztunnel older than 1.29 would enforce them; ours is pinned with istiod.
        env: { AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: 'true' },
        global: { profile: 'ambient', multiCluster: { clusterName: ctx.clusterName } },
      },
    };
  },
};

/**
 * Mesh-wide default deny, with the gateways admitted. Applied once istiod runs
 * and the gateway namespace exists (Envoy Gateway installed), so neither
 * policy is applied into a missing namespace.
 */
export const meshPolicies: AddonDefinition = {
  name: 'mesh-policies',
  enabled: meshIsIstio,
  // After the scrapers too: their namespaces must exist, and the deny must not cut scraping before they carry an identity.
  dependsOn: ['istiod', 'envoy-gateway', 'alloy', 'kube-prometheus-stack'],
  objects: (ctx) => ({
    'default-deny': {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'default-deny', namespace: ISTIO_NAMESPACE },
      // No selector, no rules, in the root namespace: allow nothing, anywhere in the mesh.
      spec: {},
    },
    'allow-gateways': {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-gateways', namespace: GATEWAY_NAMESPACE },
      // One empty rule matches every request: the gateways take traffic from outside the mesh.
      spec: { action: 'ALLOW', rules: [{}] },
    },
    // Mesh-wide tracing at the configured share: waypoints (where a namespace runs L7) report spans; ztunnel (L4) has none to report.
    tracing: {
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'mesh-default', namespace: ISTIO_NAMESPACE },
      spec: { tracing: [{ providers: [{ name: MESH_TRACING_PROVIDER }], randomSamplingPercentage: samplingPercent(ctx) }] },
    },
    // The default deny would also refuse the scrapers: admit their identities on the metrics ports, mesh-wide.
    'allow-metrics-scrapers': {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'allow-metrics-scrapers', namespace: ISTIO_NAMESPACE },
      spec: {
        action: 'ALLOW',
        rules: [
          {
            from: [{ source: { principals: scrapers(ctx).map((s) => `${MESH_TRUST_DOMAIN}/ns/${s.namespace}/sa/${s.name}`) } }],
            to: [{ operation: { ports: [...METRICS_PORTS] } }],
          },
        ],
      },
    },
    // The scrapers joined the mesh only to carry an identity: they keep taking what they took outside it (Grafana, remote write).
    // Which scrapers run is fixed by the config, so these keys are stable for an environment.
    ...Object.fromEntries(
      scrapers(ctx).map((s) => [
        `allow-to-${s.name}`,
        { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: `allow-to-${s.name}`, namespace: s.namespace }, spec: { selector: { matchLabels: { ...s.selector } }, action: 'ALLOW', rules: [{}] } },
      ]),
    ),
  }),
};

/** The scrapers this environment runs: Prometheus only when observability stays in the cluster. */
function scrapers(ctx: EnvironmentContext): ReadonlyArray<(typeof METRICS_SCRAPERS)[number]> {
  return METRICS_SCRAPERS.filter((s) => s.name !== 'prometheus' || prometheusInCluster(ctx));
}

/** The Istio CNI node agent, which redirects ambient pods' traffic to ztunnel. */
export const istioCni: AddonDefinition = {
  name: 'istio-cni',
  chart: { repository: 'https://istio-release.storage.googleapis.com/charts', chart: 'cni', version: '1.30.3' },
  enabled: meshIsIstio,
  dependsOn: ['istiod'],
  release: () => ({
    chart: 'istio-cni',
    namespace: ISTIO_NAMESPACE,
    values: {
      global: { profile: 'ambient' },
      ambient: { enabled: true },
      // Amazon VPC CNI stays primary; Istio's plugin chains after it.
      chained: true,
      resources: { requests: { cpu: '100m', memory: '100Mi' }, limits: { memory: '256Mi' } },
      tolerations: EVERY_NODE,
    },
  }),
};

/** ztunnel: the per-node L4 proxy that carries mTLS and enforces L4 policy in ambient mode. */
export const ztunnel: AddonDefinition = {
  name: 'ztunnel',
  chart: { repository: 'https://istio-release.storage.googleapis.com/charts', chart: 'ztunnel', version: '1.30.3' },
  enabled: meshIsIstio,
  // After istiod like the CNI agent, not after it: the two start side by side, one round sooner.
  dependsOn: ['istiod'],
  release: (ctx) => ({
    chart: 'ztunnel',
    namespace: ISTIO_NAMESPACE,
    values: {
      global: { profile: 'ambient' },
      multiCluster: { clusterName: ctx.clusterName },
      resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      tolerations: EVERY_NODE,
    },
  }),
};
