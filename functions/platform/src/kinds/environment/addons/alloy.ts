import type { EnvironmentContext } from '../context.js';
import { everywhere, type AddonDefinition } from './addon.js';
import { PLATFORM_SECRET_STORE } from './crossplane.js';
import { AMBIENT_POD_LABELS, meshIsIstio, METRICS_SCRAPERS } from './istio.js';
import { AMP_WORKSPACE, ampRemoteWriteUrl, onWorkspace } from './managed-prometheus.js';
import { KUBE_STATE_METRICS } from './kube-state-metrics.js';
import { IN_CLUSTER_SERVICES, observabilityMode, OTLP_RECEIVER, prometheusInCluster } from './observability-mode.js';

/** Alloy's namespace and service account: a metrics scraper the mesh admits (istio.ts). */
const SCRAPER = METRICS_SCRAPERS[0];
const NAMESPACE = SCRAPER.namespace;

/** Secret (in Alloy's namespace) External Secrets fills with the Grafana Cloud credentials. */
export const GRAFANA_CLOUD_SECRET = 'grafana-cloud-credentials';

/** In-cluster endpoints: kube-prometheus-stack's Prometheus (remote-write receiver), Loki and Tempo, in `monitoring`. */
export const IN_CLUSTER_ENDPOINTS = {
  prometheusUrl: `${IN_CLUSTER_SERVICES.prometheus}/api/v1/write`,
  lokiUrl: `${IN_CLUSTER_SERVICES.loki}/loki/api/v1/push`,
  tracesEndpoint: IN_CLUSTER_SERVICES.tempoOtlp,
} as const;

/** How Alloy authenticates to a sink: not at all (in the cluster), Grafana Cloud's basic auth, or SigV4 with its Pod Identity role. */
export type SinkAuth = { kind: 'none' } | { kind: 'basic'; userEnv: string } | { kind: 'sigv4'; region: string };

/** Where this environment's metrics, logs and traces go. */
export interface AlloyOutputs {
  metrics: { url: string; auth: SinkAuth };
  logs: { url: string; auth: SinkAuth };
  /** OTLP gRPC `host:port`; `tls` false only for the in-cluster Tempo. */
  traces: { endpoint: string; tls: boolean; auth: SinkAuth };
  /** Whether the Grafana Cloud credentials Secret is read. */
  credentials: boolean;
}

const NONE: SinkAuth = { kind: 'none' };

/**
 * The sinks of each mode. AWS-managed: metrics to the environment's
 * Prometheus workspace (once AWS reports its endpoint; Alloy waits for it),
 * logs and traces to the in-cluster Loki and Tempo. Grafana Cloud: its
 * three endpoints from config. In-cluster: Prometheus, Loki and Tempo.
 */
export function alloyOutputs(ctx: EnvironmentContext): AlloyOutputs {
  const mode = observabilityMode(ctx);
  const grafanaCloud = ctx.config.observability.grafanaCloud;
  if (mode === 'grafana-cloud' && grafanaCloud !== undefined) {
    return {
      metrics: { url: grafanaCloud.prometheusUrl, auth: { kind: 'basic', userEnv: 'GRAFANA_CLOUD_PROMETHEUS_USER' } },
      logs: { url: grafanaCloud.lokiUrl, auth: { kind: 'basic', userEnv: 'GRAFANA_CLOUD_LOKI_USER' } },
      traces: { endpoint: grafanaCloud.tracesEndpoint, tls: true, auth: { kind: 'basic', userEnv: 'GRAFANA_CLOUD_TRACES_USER' } },
      credentials: true,
    };
  }
  const inCluster = {
    logs: { url: IN_CLUSTER_ENDPOINTS.lokiUrl, auth: NONE },
    traces: { endpoint: IN_CLUSTER_ENDPOINTS.tracesEndpoint, tls: false, auth: NONE },
    credentials: false,
  };
  if (mode === 'aws-managed') return { metrics: { url: ampRemoteWriteUrl(ctx) ?? '', auth: { kind: 'sigv4', region: ctx.region } }, ...inCluster };
  return { metrics: { url: IN_CLUSTER_ENDPOINTS.prometheusUrl, auth: NONE }, ...inCluster };
}

/** The auth block of a Prometheus or Loki endpoint; credentials come from environment variables, never the config. */
function endpointAuth(auth: SinkAuth): string {
  if (auth.kind === 'basic') return `\n    basic_auth {\n      username = sys.env("${auth.userEnv}")\n      password = sys.env("GRAFANA_CLOUD_TOKEN")\n    }`;
  if (auth.kind === 'sigv4') return `\n    sigv4 {\n      region = "${auth.region}"\n    }`;
  return '';
}

/**
 * This node's kubelet and cAdvisor (container CPU, memory, network per pod
 * and namespace), where no in-cluster Prometheus scrapes them
 * (kube-prometheus-stack does in `in-cluster`). Through the kubelet's own
 * port with Alloy's service account token (the chart's ClusterRole grants
 * nodes/metrics). The kubelet's serving certificate is self-signed on EKS
 * nodes, so it is not verified; the token authenticates Alloy.
 */
function kubeletScrape(): string {
  const scrape = (name: string, path: string) => `discovery.relabel "${name}" {
  targets = discovery.kubernetes.nodes.targets
  rule {
    replacement  = "${path}"
    target_label = "__metrics_path__"
  }
  rule {
    source_labels = ["__meta_kubernetes_node_name"]
    target_label  = "node"
  }
}

prometheus.scrape "${name}" {
  targets           = discovery.relabel.${name}.output
  job_name          = "${name}"
  scheme            = "https"
  bearer_token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token"
  tls_config {
    insecure_skip_verify = true
  }
  forward_to = [prometheus.remote_write.default.receiver]
}
`;
  return `discovery.kubernetes "nodes" {
  role = "node"
  selectors {
    role  = "node"
    field = "metadata.name=" + sys.env("NODE_NAME")
  }
}

${scrape('kubelet', '/metrics')}
${scrape('cadvisor', '/metrics/cadvisor')}
`;
}

/** The OTLP exporter of the traces pipeline (and its basic-auth extension for Grafana Cloud). */
function tracesExporter(out: AlloyOutputs): string {
  const { endpoint, tls, auth } = out.traces;
  const basic = auth.kind === 'basic';
  const authBlock = basic
    ? `otelcol.auth.basic "traces" {\n  username = sys.env("${auth.userEnv}")\n  password = sys.env("GRAFANA_CLOUD_TOKEN")\n}\n\n`
    : '';
  return `${authBlock}otelcol.exporter.otlp "traces" {
  client {
    endpoint = "${endpoint}"${basic ? '\n    auth     = otelcol.auth.basic.traces.handler' : ''}${tls ? '' : '\n    tls {\n      insecure = true\n    }'}
  }
}
`;
}

/**
 * Pods of this node that ask to be scraped (`prometheus.io/scrape: "true"`),
 * read the way Prometheus' own Kubernetes example reads the annotations.
 * Where `prometheus.io/port` is set, the address is the pod's IP and that
 * port, whatever the pod's containers declare: discovery gives one target
 * per declared port, all of them then the same target, which the scraper
 * keeps once. Envoy Gateway's proxies (19001), ztunnel and waypoints (15020)
 * and istiod (15014) serve nowhere else. `prometheus.io/path` replaces
 * `/metrics` (Envoy and waypoints: `/stats/prometheus`), and
 * `prometheus.io/scheme` http. A pod without a port annotation is scraped
 * on each port it declares. Init containers and finished pods have nothing
 * to scrape. Each series gets the pod's namespace and name; a scraped
 * `namespace` or `pod` label is kept as `exported_*` (honor_labels off),
 * so no workload can write series under another's name.
 */
function podScrape(): string {
  return `discovery.relabel "scrape" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    regex         = "true"
    action        = "keep"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_init"]
    regex         = "true"
    action        = "drop"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_phase"]
    regex         = "Succeeded|Failed"
    action        = "drop"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"]
    regex         = "([0-9]+);([0-9.]+)"
    replacement   = "$2:$1"
    target_label  = "__address__"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_port", "__meta_kubernetes_pod_ip"]
    regex         = "([0-9]+);([0-9a-fA-F]*:[0-9a-fA-F:]*)"
    replacement   = "[$2]:$1"
    target_label  = "__address__"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_path"]
    regex         = "(/.*)"
    target_label  = "__metrics_path__"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_scheme"]
    regex         = "(https?)"
    target_label  = "__scheme__"
  }
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
}

prometheus.scrape "pods" {
  targets    = discovery.relabel.scrape.output
  forward_to = [prometheus.remote_write.default.receiver]
}
`;
}

/**
 * kube-state-metrics, where this package installs it (kube-state-metrics.ts:
 * no kube-prometheus-stack). Found by its pod label and port rather than by
 * annotation, because its series must keep their own `namespace` and `pod`
 * labels (the objects they describe): honor_labels, as kube-prometheus-stack's
 * monitor does. Only the Alloy on its node scrapes it.
 */
function kubeStateMetricsScrape(): string {
  return `discovery.relabel "kube_state_metrics" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_container_port_number"]
    regex         = "${KUBE_STATE_METRICS.namespace};${KUBE_STATE_METRICS.name};${KUBE_STATE_METRICS.port}"
    action        = "keep"
  }
}

prometheus.scrape "kube_state_metrics" {
  targets      = discovery.relabel.kube_state_metrics.output
  job_name     = "kube-state-metrics"
  honor_labels = true
  forward_to   = [prometheus.remote_write.default.receiver]
}
`;
}

/**
 * Alloy's pipeline: pods of this node (one Alloy per node) scraped where
 * they ask for it ({@link podScrape}); where no in-cluster Prometheus runs,
 * also this node's kubelet and cAdvisor and kube-state-metrics; logs tailed;
 * spans received over OTLP (gRPC 4317, HTTP 4318) from workloads, the mesh
 * and the gateways, batched and forwarded. Each pipeline ends at the
 * environment's sink for it ({@link alloyOutputs}).
 */
export function alloyConfig(ctx: EnvironmentContext): string {
  const out = alloyOutputs(ctx);
  const ownCollectors = !prometheusInCluster(ctx);
  return `discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

${podScrape()}
${ownCollectors ? `${kubeletScrape()}
${kubeStateMetricsScrape()}
` : ''}prometheus.remote_write "default" {
  external_labels = { cluster = "${ctx.clusterName}", environment = "${ctx.environment}" }
  endpoint {
    url = "${out.metrics.url}"${endpointAuth(out.metrics.auth)}
  }
}

discovery.relabel "logs" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.logs.output
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  external_labels = { cluster = "${ctx.clusterName}", environment = "${ctx.environment}" }
  endpoint {
    url = "${out.logs.url}"${endpointAuth(out.logs.auth)}
  }
}

otelcol.receiver.otlp "default" {
  grpc {
    endpoint = "0.0.0.0:${OTLP_RECEIVER.grpcPort}"
  }
  http {
    endpoint = "0.0.0.0:${OTLP_RECEIVER.httpPort}"
  }
  output {
    traces = [otelcol.processor.batch.traces.input]
  }
}

otelcol.processor.batch "traces" {
  output {
    traces = [otelcol.exporter.otlp.traces.input]
  }
}

${tracesExporter(out)}`;
}

function secretEnv(name: string, key: string): Record<string, unknown> {
  return { name, valueFrom: { secretKeyRef: { name: GRAFANA_CLOUD_SECRET, key } } };
}

/**
 * Grafana Alloy: one collector per node for metrics, logs and traces.
 * Outputs per environment from config `observability` ({@link alloyOutputs}).
 * Grafana Cloud credentials come from the Secrets Manager secret named in
 * config, synced by External Secrets through the environment's
 * ClusterSecretStore. In the AWS-managed mode Alloy has a role of its own
 * that may only remote-write to the environment's workspace; otherwise no
 * AWS identity.
 */
export const alloy: AddonDefinition = {
  name: 'alloy',
  chart: { repository: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.11.1' },
  enabled: everywhere,
  // The remote-write URL and the role's scope are the workspace's: wait until AWS reports them.
  waitFor: (ctx) => (observabilityMode(ctx) === 'aws-managed' ? [AMP_WORKSPACE] : []),
  identity: {
    serviceAccount: { namespace: NAMESPACE, name: SCRAPER.name },
    enabled: (ctx) => observabilityMode(ctx) === 'aws-managed',
    statements: (ctx) => onWorkspace(ctx, 'RemoteWriteOwnWorkspace', ['aps:RemoteWrite']),
  },
  release(ctx) {
    const { credentials } = alloyOutputs(ctx);
    return {
      chart: 'alloy',
      namespace: NAMESPACE,
      values: {
        alloy: {
          configMap: { create: true, content: alloyConfig(ctx) },
          extraEnv: [
            { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            ...(credentials
              ? [
                  secretEnv('GRAFANA_CLOUD_PROMETHEUS_USER', 'prometheus-user'),
                  secretEnv('GRAFANA_CLOUD_LOKI_USER', 'loki-user'),
                  secretEnv('GRAFANA_CLOUD_TRACES_USER', 'traces-user'),
                  secretEnv('GRAFANA_CLOUD_TOKEN', 'token'),
                ]
              : []),
          ],
          // The OTLP receivers on the chart's Service: workloads, istiod's extension provider and the gateways send here.
          extraPorts: [
            { name: 'otlp-grpc', port: OTLP_RECEIVER.grpcPort, targetPort: OTLP_RECEIVER.grpcPort, protocol: 'TCP', appProtocol: 'grpc' },
            { name: 'otlp-http', port: OTLP_RECEIVER.httpPort, targetPort: OTLP_RECEIVER.httpPort, protocol: 'TCP' },
          ],
          resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
        },
        // A DaemonSet: every node, whatever its taints, so every pod's logs and metrics are collected.
        // In the ambient mesh, so its scrapes carry the identity the mesh-wide policy admits (istio.ts).
        controller: { type: 'daemonset', tolerations: [{ operator: 'Exists' }], ...(meshIsIstio(ctx) ? { podLabels: { ...AMBIENT_POD_LABELS } } : {}) },
        serviceAccount: { create: true, name: SCRAPER.name },
      },
    };
  },
  objects(ctx): Record<string, Record<string, unknown>> {
    const grafanaCloud = observabilityMode(ctx) === 'grafana-cloud' ? ctx.config.observability.grafanaCloud : undefined;
    if (grafanaCloud === undefined) return {};
    // The Secrets Manager secret holds JSON {prometheusUser, lokiUser, tracesUser, token}.
    const property = (secretKey: string, prop: string) => ({ secretKey, remoteRef: { key: grafanaCloud.credentialsSecret, property: prop } });
    return {
      'grafana-cloud-credentials': {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: GRAFANA_CLOUD_SECRET, namespace: NAMESPACE },
        spec: {
          refreshInterval: '1h',
          secretStoreRef: { kind: 'ClusterSecretStore', name: PLATFORM_SECRET_STORE },
          target: { name: GRAFANA_CLOUD_SECRET, creationPolicy: 'Owner' },
          data: [property('prometheus-user', 'prometheusUser'), property('loki-user', 'lokiUser'), property('traces-user', 'tracesUser'), property('token', 'token')],
        },
      },
    };
  },
};
