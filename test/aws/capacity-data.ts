/**
 * Test data of the capacity model (test/aws/capacity.ts): instance types,
 * the kubelet's reservations, the pods EKS itself runs, and for every chart
 * the package installs, which workloads it renders and where in its values
 * their replicas, requests and placement live.
 *
 * Sources:
 * - Pods per instance: EKS's eni-max-pods data (awslabs/amazon-eks-ami,
 *   templates/shared/runtime/eni-max-pods.txt), i.e. ENIs x (IPv4 per ENI - 1) + 2
 *   without prefix delegation; with it (VPC CNI ENABLE_PREFIX_DELEGATION) EKS's
 *   max-pods calculator caps at 110 below 30 vCPU, 250 above.
 * - ENIs, IPv4 per ENI, vCPU, memory: EC2 instance type specifications
 *   (DescribeInstanceTypes NetworkInfo).
 * - Kubelet reservations: the EKS AMI's and Bottlerocket's defaults, kube-reserved
 *   memory 11 MiB per pod + 255 MiB, CPU 6% of the first core, 1% of the second,
 *   0.5% of the third and fourth, 0.25% of the rest; hard eviction at 100Mi.
 * - Memory the OS and hypervisor keep: Karpenter's default vmMemoryOverheadPercent, 7.5%.
 * - Chart replicas and requests where our values set none: the chart's values.yaml at the
 *   pinned version (schemas/charts/catalog.yaml), else the EKS add-on's manifest; where
 *   neither sets requests, ESTIMATE (what such a controller uses idle), so a pod never
 *   counts as free.
 */

export type JsonObject = Record<string, unknown>;

export interface InstanceType {
  vcpu: number;
  memoryGiB: number;
  enis: number;
  ipv4PerEni: number;
}

export const INSTANCE_TYPES: Readonly<Record<string, InstanceType>> = {
  'm5.large': { vcpu: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm5a.large': { vcpu: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm6i.large': { vcpu: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm6a.large': { vcpu: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm5.xlarge': { vcpu: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm5a.xlarge': { vcpu: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm6i.xlarge': { vcpu: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm6a.xlarge': { vcpu: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm7i.xlarge': { vcpu: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm5.2xlarge': { vcpu: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
  'm5a.2xlarge': { vcpu: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
  'm6i.2xlarge': { vcpu: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
  'm6a.2xlarge': { vcpu: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
};

export const VM_MEMORY_OVERHEAD = 0.075;
export const EVICTION_HARD_MIB = 100;

export interface Requests {
  /** millicores */
  cpu: number;
  /** MiB */
  memory: number;
}

/** What a pod that declares no requests is assumed to use (a small idle controller). */
export const ESTIMATE: Requests = { cpu: 50, memory: 64 };

/** Pods EKS runs from its add-ons (cluster.ts EKS_ADDONS), by add-on name; requests from the add-on manifests. */
export const EKS_ADDON_PODS: Readonly<Record<string, ReadonlyArray<{ name: string; kind: 'Deployment' | 'DaemonSet'; replicas?: number; requests: Requests }>>> = {
  'vpc-cni': [{ name: 'aws-node', kind: 'DaemonSet', requests: { cpu: 25, memory: ESTIMATE.memory } }],
  'kube-proxy': [{ name: 'kube-proxy', kind: 'DaemonSet', requests: { cpu: 100, memory: ESTIMATE.memory } }],
  'eks-pod-identity-agent': [{ name: 'eks-pod-identity-agent', kind: 'DaemonSet', requests: ESTIMATE }],
  // Tolerates CriticalAddonsOnly; the first nodes of a cluster are the system nodes, and it stays there.
  coredns: [{ name: 'coredns', kind: 'Deployment', replicas: 2, requests: { cpu: 100, memory: 70 } }],
  'aws-ebs-csi-driver': [
    // node: driver, registrar, liveness probe; controller: driver and five sidecars, 10m/40Mi each.
    { name: 'ebs-csi-node', kind: 'DaemonSet', requests: { cpu: 30, memory: 120 } },
    { name: 'ebs-csi-controller', kind: 'Deployment', replicas: 2, requests: { cpu: 60, memory: 240 } },
  ],
  'snapshot-controller': [{ name: 'snapshot-controller', kind: 'Deployment', replicas: 2, requests: ESTIMATE }],
};

/** Where a chart workload's settings live in the Release's values. */
export interface ChartWorkload {
  name: string;
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** Whether the chart renders it; default: always. */
  enabled?: (values: JsonObject) => boolean;
  /** Replicas (Deployments/StatefulSets). */
  replicas?: (values: JsonObject) => number;
  nodeSelector: (values: JsonObject) => unknown;
  tolerations: (values: JsonObject) => unknown;
  /** resources.requests of the pod (all its containers), as written in values. */
  requests: (values: JsonObject) => unknown;
  /** Requests when values set none: the chart default, else ESTIMATE. */
  defaultRequests?: Requests;
  /** Pods of this workload must be on distinct nodes (required hostname anti-affinity in the chart). */
  onePerNode?: boolean;
}

/** A value at a dotted path ('a.b.c'); keys with dots are written with '\\.'. */
export function at(values: unknown, path: string): unknown {
  let current: unknown = values;
  for (const key of path.split(/(?<!\\)\./).map((k) => k.replace(/\\\./g, '.'))) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as JsonObject)[key];
  }
  return current;
}

const num = (path: string, fallback: number) => (v: JsonObject) => {
  const value = at(v, path);
  return typeof value === 'number' ? value : fallback;
};
const bool = (path: string, fallback: boolean) => (v: JsonObject) => {
  const value = at(v, path);
  return typeof value === 'boolean' ? value : fallback;
};
const path = (p: string) => (v: JsonObject) => at(v, p);
const first =
  (...paths: string[]) =>
  (v: JsonObject) =>
    paths.map((p) => at(v, p)).find((x) => x !== undefined);

/** A workload whose nodeSelector, tolerations, resources and replicas sit under one prefix (or the root). */
function standard(name: string, prefix: string, replicasKey: string | undefined, replicasDefault: number, extra: Partial<ChartWorkload> = {}): ChartWorkload {
  const p = (k: string) => (prefix === '' ? k : `${prefix}.${k}`);
  return {
    name,
    kind: 'Deployment',
    ...(replicasKey !== undefined ? { replicas: num(p(replicasKey), replicasDefault) } : { replicas: () => replicasDefault }),
    nodeSelector: path(p('nodeSelector')),
    tolerations: path(p('tolerations')),
    requests: path(p('resources.requests')),
    ...extra,
  };
}

/** Argo CD components take global placement unless they set their own. */
function argoCd(name: string, key: string, replicasDefault: number, extra: Partial<ChartWorkload> = {}): ChartWorkload {
  return {
    name,
    kind: 'Deployment',
    replicas: num(`${key}.replicas`, replicasDefault),
    nodeSelector: first(`${key}.nodeSelector`, 'global.nodeSelector'),
    tolerations: first(`${key}.tolerations`, 'global.tolerations'),
    requests: path(`${key}.resources.requests`),
    ...extra,
  };
}

/** Argo CD's Redis HA subchart: three Redis servers (with sentinels) and three HAProxies by default. */
const redisHa: ChartWorkload[] = [
  { name: 'redis-ha-server', kind: 'StatefulSet', enabled: bool('redis-ha.enabled', false), replicas: num('redis-ha.replicas', 3), nodeSelector: path('redis-ha.nodeSelector'), tolerations: path('redis-ha.tolerations'), requests: () => undefined, defaultRequests: { cpu: 2 * ESTIMATE.cpu, memory: 2 * ESTIMATE.memory }, onePerNode: true },
  { name: 'redis-ha-haproxy', kind: 'Deployment', enabled: bool('redis-ha.enabled', false), replicas: num('redis-ha.haproxy.replicas', 3), nodeSelector: first('redis-ha.haproxy.nodeSelector', 'redis-ha.nodeSelector'), tolerations: first('redis-ha.haproxy.tolerations', 'redis-ha.tolerations'), requests: () => undefined, onePerNode: true },
];

const argoCdWorkloads: ChartWorkload[] = [
  argoCd('argocd-application-controller', 'controller', 1),
  argoCd('argocd-server', 'server', 1),
  argoCd('argocd-repo-server', 'repoServer', 1),
  argoCd('argocd-applicationset-controller', 'applicationSet', 1),
  argoCd('argocd-dex-server', 'dex', 1, { enabled: bool('dex.enabled', true) }),
  argoCd('argocd-notifications-controller', 'notifications', 1, { enabled: bool('notifications.enabled', true) }),
  argoCd('argocd-redis', 'redis', 1, { enabled: (v) => bool('redis.enabled', true)(v) && !bool('redis-ha.enabled', false)(v) }),
  ...redisHa,
];

const daemonSet = (name: string, prefix: string, defaultRequests?: Requests): ChartWorkload => ({
  ...standard(name, prefix, undefined, 0),
  kind: 'DaemonSet',
  ...(defaultRequests !== undefined ? { defaultRequests } : {}),
});

/** Workloads of every chart the package installs, by chart name (spec.forProvider.chart.name). */
export const CHART_WORKLOADS: Readonly<Record<string, readonly ChartWorkload[]>> = {
  'aws-load-balancer-controller': [standard('aws-load-balancer-controller', '', 'replicaCount', 2)],
  'external-dns': [standard('external-dns', '', undefined, 1)],
  'external-secrets': [standard('external-secrets', '', 'replicaCount', 1), standard('external-secrets-webhook', 'webhook', 'replicaCount', 1), standard('external-secrets-cert-controller', 'certController', 'replicaCount', 1)],
  'cert-manager': [standard('cert-manager', '', 'replicaCount', 1), standard('cert-manager-webhook', 'webhook', 'replicaCount', 1), standard('cert-manager-cainjector', 'cainjector', 'replicaCount', 1)],
  'gateway-helm': [
    { name: 'envoy-gateway', kind: 'Deployment', replicas: num('deployment.replicas', 1), nodeSelector: path('deployment.pod.nodeSelector'), tolerations: path('deployment.pod.tolerations'), requests: path('deployment.envoyGateway.resources.requests'), defaultRequests: { cpu: 100, memory: 256 } },
  ],
  // Karpenter's chart sets a required hostname anti-affinity.
  karpenter: [{ ...standard('karpenter', '', 'replicas', 2), requests: path('controller.resources.requests'), onePerNode: true }],
  'karpenter-crd': [],
  'gateway-crds-helm': [],
  keda: [
    { ...standard('keda-operator', '', undefined, 1), replicas: num('operator.replicaCount', 1), requests: path('resources.operator.requests') },
    { ...standard('keda-metrics-apiserver', '', undefined, 1), replicas: num('metricsServer.replicaCount', 1), requests: path('resources.metricServer.requests') },
    { ...standard('keda-admission-webhooks', '', undefined, 1), enabled: bool('webhooks.enabled', true), replicas: num('webhooks.replicaCount', 1), requests: path('resources.webhooks.requests') },
  ],
  base: [],
  istiod: [standard('istiod', '', 'replicaCount', 1, { defaultRequests: { cpu: 500, memory: 2048 } })],
  cni: [daemonSet('istio-cni-node', '', { cpu: 100, memory: 100 })],
  ztunnel: [daemonSet('ztunnel', '', { cpu: 200, memory: 512 })],
  'argo-cd': argoCdWorkloads,
  'kube-prometheus-stack': [
    standard('prometheus-operator', 'prometheusOperator', undefined, 1),
    { ...standard('prometheus', 'prometheus.prometheusSpec', 'replicas', 1), kind: 'StatefulSet' },
    { ...standard('alertmanager', 'alertmanager.alertmanagerSpec', 'replicas', 1), kind: 'StatefulSet', enabled: bool('alertmanager.enabled', true) },
    { ...standard('grafana', 'grafana', 'replicas', 1), enabled: bool('grafana.enabled', true), defaultRequests: { cpu: 3 * ESTIMATE.cpu, memory: 3 * ESTIMATE.memory } },
    standard('kube-state-metrics', 'kube-state-metrics', 'replicas', 1),
    // The node exporter tolerates every NoSchedule taint by default.
    { ...daemonSet('prometheus-node-exporter', 'prometheus-node-exporter'), enabled: bool('nodeExporter.enabled', true), tolerations: (v) => at(v, 'prometheus-node-exporter.tolerations') ?? [{ operator: 'Exists', effect: 'NoSchedule' }] },
  ],
  'kube-state-metrics': [standard('kube-state-metrics', '', 'replicas', 1)],
  loki: [{ ...standard('loki', 'singleBinary', 'replicas', 0), kind: 'StatefulSet' }],
  // Single binary: replicas and placement at the top level, the container's resources under tempo.
  tempo: [{ ...standard('tempo', '', 'replicas', 1), kind: 'StatefulSet', requests: path('tempo.resources.requests') }],
  grafana: [standard('grafana', '', 'replicas', 1)],
  alloy: [{ ...daemonSet('alloy', 'alloy'), nodeSelector: path('controller.nodeSelector'), tolerations: path('controller.tolerations') }],
  crossplane: [
    { ...standard('crossplane', '', 'replicas', 1), requests: path('resourcesCrossplane.requests'), defaultRequests: { cpu: 100, memory: 256 } },
    { ...standard('crossplane-rbac-manager', '', undefined, 1), enabled: bool('rbacManager.deploy', true), replicas: num('rbacManager.replicas', 1), requests: path('resourcesRBACManager.requests'), defaultRequests: { cpu: 100, memory: 256 } },
  ],
  'metrics-server': [standard('metrics-server', '', 'replicas', 1)],
  reloader: [standard('reloader', 'reloader.deployment', 'replicas', 1)],
  kyverno: [
    { ...standard('kyverno-admission-controller', 'admissionController', 'replicas', 1), requests: path('admissionController.container.resources.requests') },
    standard('kyverno-background-controller', 'backgroundController', 'replicas', 1),
    standard('kyverno-cleanup-controller', 'cleanupController', 'replicas', 1),
    standard('kyverno-reports-controller', 'reportsController', 'replicas', 1),
  ],
  'trivy-operator': [{ ...standard('trivy-operator', '', undefined, 1), replicas: num('operator.replicas', 1) }],
  falco: [
    // Falco's own DaemonSet; falcosidekick is its subchart.
    daemonSet('falco', ''),
    { ...standard('falcosidekick', 'falcosidekick', 'replicaCount', 2), enabled: bool('falcosidekick.enabled', false) },
  ],
  'falco-talon': [standard('falco-talon', '', 'replicaCount', 2)],
  velero: [
    standard('velero', '', undefined, 1),
    { ...daemonSet('velero-node-agent', 'nodeAgent'), enabled: bool('deployNodeAgent', false) },
  ],
  goldilocks: [
    { ...standard('goldilocks-controller', 'controller', undefined, 1), enabled: bool('controller.enabled', true) },
    { ...standard('goldilocks-dashboard', 'dashboard', 'replicaCount', 2), enabled: bool('dashboard.enabled', true) },
    { ...standard('goldilocks-vpa-recommender', 'vpa.recommender', undefined, 1), enabled: bool('vpa.enabled', false) },
  ],
  nats: [{ ...standard('nats', 'podTemplate', undefined, 1), kind: 'StatefulSet', replicas: (v) => (bool('config.cluster.enabled', false)(v) ? num('config.cluster.replicas', 3)(v) : 1), requests: path('container.merge.resources.requests') }],
  'argo-workflows': [standard('argo-workflows-controller', 'controller', 'replicas', 1), { ...standard('argo-workflows-server', 'server', 'replicas', 1), enabled: bool('server.enabled', true) }],
  cilium: [
    { ...daemonSet('cilium-agent', ''), tolerations: () => [{ operator: 'Exists' }] },
    { ...standard('cilium-operator', 'operator', 'replicas', 2), onePerNode: true },
    { ...standard('hubble-relay', 'hubble.relay', 'replicas', 1), enabled: bool('hubble.relay.enabled', false) },
  ],
};
