import type { EnvironmentContext } from '../context.js';
import { everywhere, type AddonDefinition } from './addon.js';
import { PLATFORM_SECRET_STORE } from './crossplane.js';
import { AMBIENT_POD_LABELS, meshIsIstio, METRICS_SCRAPERS } from './istio.js';

/** Alloy's namespace and service account: a metrics scraper the mesh admits (istio.ts). */
const SCRAPER = METRICS_SCRAPERS[0];
const NAMESPACE = SCRAPER.namespace;

/** Secret (in Alloy's namespace) External Secrets fills with the Grafana Cloud credentials. */
export const GRAFANA_CLOUD_SECRET = 'grafana-cloud-credentials';

/** In-cluster endpoints: kube-prometheus-stack's Prometheus (remote-write receiver) and Loki, in `monitoring`. */
export const IN_CLUSTER_ENDPOINTS = {
  prometheusUrl: 'http://kube-prometheus-stack-prometheus.monitoring.svc:9090/api/v1/write',
  lokiUrl: 'http://loki.monitoring.svc:3100/loki/api/v1/push',
} as const;

/** Where this environment's metrics and logs go, and whether they need credentials. */
export function alloyOutputs(ctx: EnvironmentContext): { prometheusUrl: string; lokiUrl: string; credentials: boolean } {
  const { observability } = ctx.config;
  if (observability.mode === 'grafana-cloud') {
    if (observability.grafanaCloud === undefined) return { ...IN_CLUSTER_ENDPOINTS, credentials: false };
    return { prometheusUrl: observability.grafanaCloud.prometheusUrl, lokiUrl: observability.grafanaCloud.lokiUrl, credentials: true };
  }
  return { ...IN_CLUSTER_ENDPOINTS, credentials: false };
}

/**
 * Alloy's pipeline: pods of this node (one Alloy per node) scraped where
 * they ask for it and their logs tailed, both sent to the environment's
 * outputs. Credentials are read from environment variables, never written
 * into the configuration.
 */
export function alloyConfig(ctx: EnvironmentContext): string {
  const out = alloyOutputs(ctx);
  const auth = (user: string) => (out.credentials ? `\n    basic_auth {\n      username = sys.env("${user}")\n      password = sys.env("GRAFANA_CLOUD_TOKEN")\n    }` : '');
  return `discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("NODE_NAME")
  }
}

discovery.relabel "scrape" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    regex         = "true"
    action        = "keep"
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

prometheus.remote_write "default" {
  external_labels = { cluster = "${ctx.clusterName}", environment = "${ctx.environment}" }
  endpoint {
    url = "${out.prometheusUrl}"${auth('GRAFANA_CLOUD_PROMETHEUS_USER')}
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
    url = "${out.lokiUrl}"${auth('GRAFANA_CLOUD_LOKI_USER')}
  }
}
`;
}

function secretEnv(name: string, key: string): Record<string, unknown> {
  return { name, valueFrom: { secretKeyRef: { name: GRAFANA_CLOUD_SECRET, key } } };
}

/**
 * Grafana Alloy: one collector per node for metrics and logs. Outputs per
 * environment from config `observability`: Grafana Cloud (endpoints from
 * config, credentials from the Secrets Manager secret named there, synced by
 * External Secrets through the environment's ClusterSecretStore) or the
 * in-cluster Prometheus and Loki. No AWS identity.
 */
export const alloy: AddonDefinition = {
  name: 'alloy',
  chart: { repository: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.11.1' },
  enabled: everywhere,
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
              ? [secretEnv('GRAFANA_CLOUD_PROMETHEUS_USER', 'prometheus-user'), secretEnv('GRAFANA_CLOUD_LOKI_USER', 'loki-user'), secretEnv('GRAFANA_CLOUD_TOKEN', 'token')]
              : []),
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
    const grafanaCloud = ctx.config.observability.mode === 'grafana-cloud' ? ctx.config.observability.grafanaCloud : undefined;
    if (grafanaCloud === undefined) return {};
    // The Secrets Manager secret holds JSON {prometheusUser, lokiUser, token}.
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
          data: [property('prometheus-user', 'prometheusUser'), property('loki-user', 'lokiUser'), property('token', 'token')],
        },
      },
    };
  },
};
